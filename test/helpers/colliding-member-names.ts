// A member name whose 32-bit member id (FNV-1a, src/member-id.ts) equals that of `n1`, found by an
// exhaustive search over `m-` + 7 characters; raft could not tell the two members apart.
export const COLLIDING_WITH_N1 = 'm-9vgmppd';
