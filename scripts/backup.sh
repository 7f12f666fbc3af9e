#!/bin/sh
# Back up Tizim: the PostgreSQL database and the uploaded documents, into one new folder.
#
#   DATABASE_URL=… UPLOAD_DIR=… scripts/backup.sh /var/backups/tizim
#
# Writes DEST/tizim-<UTC time>/ with database.dump (pg_dump's custom format), documents.tar.gz
# (UPLOAD_DIR) and SHA256SUMS, and prints the folder. The database is dumped first, the
# documents second: a document uploaded in between is an extra file no row names (harmless),
# never a row whose file is missing. pg_dump reads one consistent snapshot while Tizim runs.
# Keep the backups in Kazakhstan, like the data (Law No. 94-V); restore: scripts/restore.sh.
set -eu
dest=${1:?usage: scripts/backup.sh DEST_DIR}
: "${DATABASE_URL:?set DATABASE_URL}" "${UPLOAD_DIR:?set UPLOAD_DIR}"
# libpq takes postgresql://…, without SQLAlchemy's +psycopg driver name.
url=$(printf '%s' "$DATABASE_URL" | sed 's|^postgresql+[a-z0-9]*://|postgresql://|')
out="$dest/tizim-$(date -u +%Y%m%dT%H%M%SZ)"
umask 077  # personal data: readable by the backup's owner only
mkdir -p "$out"
pg_dump --format=custom --no-owner --no-privileges --file "$out/database.dump" "$url"
tar -C "$UPLOAD_DIR" -czf "$out/documents.tar.gz" .
(cd "$out" && sha256sum database.dump documents.tar.gz > SHA256SUMS)
echo "$out"
