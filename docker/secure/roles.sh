#!/bin/sh
# Run once by scylla-init (docker-compose.secure.yml): replaces the default superuser and creates fli's roles and
# keyspace, with the permissions of docs/security.md. Passwords come from files mounted as secrets.
set -eu
root=$(cat /run/secrets/cql_root_password)
admin=$(cat /run/secrets/cql_admin_password)
writer=$(cat /run/secrets/cql_writer_password)
reader=$(cat /run/secrets/cql_reader_password)
export SSL_CERTFILE=/certs/ca.pem SSL_VALIDATE=true
q() { cqlsh --ssl scylla 9042 -u "$1" -p "$2" -e "$3"; }
until q cassandra cassandra "SELECT now() FROM system.local" >/dev/null 2>&1 \
   || q fli_root "$root" "SELECT now() FROM system.local" >/dev/null 2>&1; do sleep 2; done
q cassandra cassandra "CREATE ROLE IF NOT EXISTS fli_root WITH PASSWORD = '$root' AND SUPERUSER = true AND LOGIN = true" \
  2>/dev/null || true
q fli_root "$root" "DROP ROLE IF EXISTS cassandra"
q fli_root "$root" "CREATE ROLE IF NOT EXISTS fli_admin WITH PASSWORD = '$admin' AND LOGIN = true"
q fli_root "$root" "CREATE ROLE IF NOT EXISTS fli_writer WITH PASSWORD = '$writer' AND LOGIN = true"
q fli_root "$root" "CREATE ROLE IF NOT EXISTS fli_reader WITH PASSWORD = '$reader' AND LOGIN = true"
q fli_root "$root" "GRANT CREATE ON ALL KEYSPACES TO fli_admin"
# fli_admin creates the keyspace (and so may migrate it: bin/fli admin migrate, as fli_admin); the others get rows.
q fli_admin "$admin" "CREATE KEYSPACE IF NOT EXISTS fli WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
q fli_root "$root" "GRANT SELECT ON KEYSPACE fli TO fli_writer"
q fli_root "$root" "GRANT MODIFY ON KEYSPACE fli TO fli_writer"
q fli_root "$root" "GRANT SELECT ON KEYSPACE fli TO fli_reader"
echo "roles ready: fli_admin, fli_writer, fli_reader; default superuser dropped"
