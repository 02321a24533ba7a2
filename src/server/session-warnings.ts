// The conditions SHOW WARNINGS lists: those of the last statement that raised any. A real server
// clears the list only for statements that use tables or raise a condition, and the binlog
// server has no tables, so a statement without conditions leaves the list as it was (checked
// against MariaDB 10.11: a PURGE or SET after an error still shows the error).

export interface SqlCondition {
  level: 'Note' | 'Warning' | 'Error';
  code: number;
  message: string;
}

export class SessionWarnings {
  #list: readonly SqlCondition[] = [];

  get list(): readonly SqlCondition[] {
    return this.#list;
  }

  /** Records a statement's conditions; none keeps the previous statement's. */
  raised(conditions: readonly SqlCondition[]): void {
    if (conditions.length > 0) this.#list = [...conditions];
  }
}
