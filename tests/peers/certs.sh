#!/usr/bin/env bash
# certs.sh DIR - throwaway test certificates, made with the openssl CLI.
#
# Writes into DIR (created if needed); EC P-256 keys, so a full run takes well under
# a second.  Idempotent: if DIR/.complete exists and every file is there, nothing is
# redone (the stamp is written last, so a half-finished run is redone from scratch).
#
#   ca.pem ca.key              the test CA ("httpx test CA")
#   server.pem server.key      CA-signed; SAN localhost, 127.0.0.1, ::1
#   expired.pem expired.key    CA-signed, same SAN, valid only in 2020
#   wrong.pem wrong.key        CA-signed; SAN wrong.example only
#   unknown.pem unknown.key    SAN localhost, signed by a CA nobody trusts (unknown-ca.pem)
#   client-ca.pem client-ca.key   the CA a server uses to check client certificates
#   client.pem client.key      CA-signed by client-ca, extendedKeyUsage clientAuth
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
dir=$(cd "$1" && pwd)

FILES=(ca.pem ca.key server.pem server.key expired.pem expired.key wrong.pem wrong.key
       unknown.pem unknown.key unknown-ca.pem unknown-ca.key client-ca.pem client-ca.key
       client.pem client.key)

complete() {
  [ -f "$dir/.complete" ] || return 1
  local f
  for f in "${FILES[@]}"; do [ -s "$dir/$f" ] || return 1; done
}
if complete; then exit 0; fi
rm -f "$dir/.complete"

work=$(mktemp -d "$dir/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
ossl() { openssl "$@" 2>>"$work/openssl.log" || { cat "$work/openssl.log" >&2; exit 1; }; }

key() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$1.key"; }

# ca NAME CN: a self-signed CA certificate.
ca() {
  key "$1"
  ossl req -x509 -new -key "$work/$1.key" -out "$work/$1.pem" -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}

# leaf NAME CA SAN EKU: a certificate for NAME's key, signed by CA.
leaf() {
  key "$1"
  ossl req -new -key "$work/$1.key" -out "$work/$1.csr" -subj "/CN=$1"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' \
    "$4" "${3:+subjectAltName=$3}" >"$work/$1.ext"
  ossl x509 -req -in "$work/$1.csr" -CA "$work/$2.pem" -CAkey "$work/$2.key" -CAcreateserial \
    -out "$work/$1.pem" -days 3650 -extfile "$work/$1.ext"
}

SAN="DNS:localhost,IP:127.0.0.1,IP:::1"
ca ca "httpx test CA"
ca unknown-ca "httpx unknown CA"
ca client-ca "httpx client CA"
leaf server ca "$SAN" serverAuth
leaf wrong ca "DNS:wrong.example" serverAuth
leaf unknown unknown-ca "$SAN" serverAuth
leaf client client-ca "" clientAuth

# `x509 -req` cannot backdate, so the expired certificate goes through `openssl ca`.
key expired
ossl req -new -key "$work/expired.key" -out "$work/expired.csr" -subj "/CN=localhost"
: >"$work/index.txt"
echo 1000 >"$work/serial"
cat >"$work/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
database = $work/index.txt
serial = $work/serial
new_certs_dir = $work
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = leaf
[anything]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $SAN
EOF
ossl ca -batch -notext -config "$work/ca.cnf" -cert "$work/ca.pem" -keyfile "$work/ca.key" \
  -in "$work/expired.csr" -out "$work/expired.pem" \
  -startdate 20200101000000Z -enddate 20200102000000Z

for f in "${FILES[@]}"; do mv -f "$work/$f" "$dir/$f"; done
chmod 600 "$dir"/*.key
touch "$dir/.complete"
