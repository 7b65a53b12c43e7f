/** A built-in function (or `prefix*` family) a policy must name in allowFunctions to allow. */
export interface DangerousFunction {
  pattern: string;
  why: string;
}

const FILES = 'reads or writes files on the database server';
const LARGE_OBJECTS = 'reads or writes large objects, and server files through them';
const REMOTE = 'opens connections to other servers and runs SQL the gate cannot see';
const BACKENDS = 'signals or inspects other backends';
const SERVER = 'changes the state of the whole server';
const REPLICATION = 'reads or steers replication, which carries every change of every table';
const HIDDEN_SQL = 'runs SQL passed as text, which the gate cannot see';

/**
 * The built-in list, matched on the function's own name whatever schema the statement names
 * (a `pg_catalog.` prefix or a same-named function elsewhere changes nothing). pg_sleep,
 * pg_advisory_* and set_config are not here: sleeping and advisory locks harm only the
 * session itself, and set_config is classified (role or session) instead.
 */
export const DANGEROUS_FUNCTIONS: readonly DangerousFunction[] = [
  { pattern: 'pg_read_file', why: FILES },
  { pattern: 'pg_read_binary_file', why: FILES },
  { pattern: 'pg_stat_file', why: FILES },
  { pattern: 'pg_ls_*', why: FILES },
  { pattern: 'pg_file_*', why: FILES }, // adminpack: pg_file_write, _rename, _unlink, _sync
  { pattern: 'pg_logdir_ls', why: FILES },
  { pattern: 'lo_*', why: LARGE_OBJECTS }, // lo_import, lo_export, lo_get, lo_put, lo_open, ...
  { pattern: 'loread', why: LARGE_OBJECTS },
  { pattern: 'lowrite', why: LARGE_OBJECTS },
  { pattern: 'dblink*', why: REMOTE },
  { pattern: 'postgres_fdw_*', why: REMOTE },
  { pattern: 'pg_terminate_backend', why: BACKENDS },
  { pattern: 'pg_cancel_backend', why: BACKENDS },
  { pattern: 'pg_signal_backend', why: BACKENDS },
  { pattern: 'pg_log_backend_memory_contexts', why: BACKENDS },
  { pattern: 'pg_reload_conf', why: SERVER },
  { pattern: 'pg_rotate_logfile', why: SERVER },
  { pattern: 'pg_promote', why: SERVER },
  { pattern: 'pg_switch_wal', why: SERVER },
  { pattern: 'pg_create_restore_point', why: SERVER },
  { pattern: 'pg_backup_start', why: SERVER },
  { pattern: 'pg_backup_stop', why: SERVER },
  { pattern: 'pg_start_backup', why: SERVER },
  { pattern: 'pg_stop_backup', why: SERVER },
  { pattern: 'pg_wal_replay_*', why: SERVER },
  { pattern: 'binary_upgrade_*', why: SERVER },
  { pattern: 'pg_create_physical_replication_slot', why: REPLICATION },
  { pattern: 'pg_create_logical_replication_slot', why: REPLICATION },
  { pattern: 'pg_copy_*_replication_slot', why: REPLICATION },
  { pattern: 'pg_drop_replication_slot', why: REPLICATION },
  { pattern: 'pg_replication_slot_advance', why: REPLICATION },
  { pattern: 'pg_logical_*', why: REPLICATION }, // slot_get_changes, emit_message, ...
  { pattern: 'pg_replication_origin_*', why: REPLICATION },
  { pattern: 'query_to_xml*', why: HIDDEN_SQL },
  { pattern: 'cursor_to_xml*', why: HIDDEN_SQL },
  // These read tables by a name given as text, past the gate's table rules.
  { pattern: 'table_to_xml*', why: HIDDEN_SQL },
  { pattern: 'schema_to_xml*', why: HIDDEN_SQL },
  { pattern: 'database_to_xml*', why: HIDDEN_SQL },
  { pattern: 'ts_stat', why: HIDDEN_SQL },
  { pattern: 'ts_rewrite', why: HIDDEN_SQL },
  { pattern: 'crosstab*', why: HIDDEN_SQL }, // tablefunc
  { pattern: 'connectby', why: HIDDEN_SQL }, // tablefunc, reads a table named as text
];

function patternSource(pattern: string): string {
  return pattern
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
}

/** A test for names matching a pattern in which `*` stands for any run; case-insensitive. */
export function namePattern(pattern: string): (name: string) => boolean {
  const regex = new RegExp(`^${patternSource(pattern)}$`, 'i');
  return (name) => regex.test(name);
}

// One alternation answers "is it dangerous at all" in a single test, since most names are not;
// only a match looks for its entry.
const ANY = new RegExp(
  `^(?:${DANGEROUS_FUNCTIONS.map((e) => patternSource(e.pattern)).join('|')})$`,
  'i',
);
const COMPILED = DANGEROUS_FUNCTIONS.map((entry) => ({ entry, test: namePattern(entry.pattern) }));

/** The built-in entry a function name (qualified or not) falls under, or undefined. */
export function dangerousFunction(name: string): DangerousFunction | undefined {
  const base = name.slice(name.lastIndexOf('.') + 1);
  if (!ANY.test(base)) return undefined;
  return COMPILED.find((compiled) => compiled.test(base))?.entry;
}
