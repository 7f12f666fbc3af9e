#!/bin/sh
# Restore a backup made by scripts/backup.sh into an EMPTY database and upload folder.
#
#   DATABASE_URL=… UPLOAD_DIR=… scripts/restore.sh /var/backups/tizim/tizim-20261129T020000Z
#
# Checks the files against SHA256SUMS, restores the database in one transaction (all or
# nothing) and unpacks the documents. Then: `flask --app wsgi db upgrade` (a backup of an older
# release is brought to this one) and start the processes; /readyz says when they are ready.
set -eu
src=${1:?usage: scripts/restore.sh BACKUP_DIR}
: "${DATABASE_URL:?set DATABASE_URL}" "${UPLOAD_DIR:?set UPLOAD_DIR}"
url=$(printf '%s' "$DATABASE_URL" | sed 's|^postgresql+[a-z0-9]*://|postgresql://|')
(cd "$src" && sha256sum --check --quiet SHA256SUMS)
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname "$url" "$src/database.dump"
mkdir -p "$UPLOAD_DIR"
tar -C "$UPLOAD_DIR" -xzf "$src/documents.tar.gz"
echo "restored $src"
