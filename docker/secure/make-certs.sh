#!/bin/sh
# The TLS material of the secure compose profile (docker-compose.secure.yml): a private CA and one server
# certificate for ScyllaDB and MinIO, valid for the names clients use (localhost and 127.0.0.1 from the host,
# scylla and minio inside the compose network). Production uses certificates from your PKI instead; see
# docs/security.md. Keys are owner-only; the CA key never leaves this folder.
set -eu
dir="$(cd "$(dirname "$0")" && pwd)/certs"
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=fli docker CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
printf '%s\n' "subjectAltName=DNS:localhost,DNS:scylla,DNS:minio,IP:127.0.0.1" \
  "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature,keyEncipherment" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 30 \
  -extfile server.ext
rm -f server.csr server.ext
# MinIO's certificate folder layout: public.crt, private.key, and the CAs it trusts.
mkdir -p minio/CAs
cp server.pem minio/public.crt
cp server.key minio/private.key
cp ca.pem minio/CAs/ca.pem
chmod 600 ca.key server.key minio/private.key
echo "CA: $dir/ca.pem (set FLI_CQL_TLS_CA_FILE and FLI_S3_CA_FILE to it)"
