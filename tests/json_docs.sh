# SPDX-License-Identifier: MIT
# Every --json document vcompose prints is valid against its JSON Schema in
# docs/json/ (chosen by the document's "document" key), carries "schema": 2,
# and names every key in snake_case (docs/json.md). The DPS signature
# partition's JSON keeps the spec's names and is not a --json document.
. "$VC_SOURCE_DIR/tests/build_lib.sh"
# no camelCase key in the writers (the DPS JSON of src/sign/pkcs7.c keeps the spec's)
bad=$(grep -rnoE '(vc_json_key[a-z_]*|jkey_[a-z_]+)\([^,]+, *"[a-z]+[A-Z][A-Za-z0-9]*"' "$VC_SOURCE_DIR/src" |
	grep -v 'src/sign/pkcs7.c' || true)
[ -z "$bad" ] || fail "JSON keys not in snake_case (docs/json.md): $bad"
boot_files
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIP: python3-jsonschema missing"; exit 77; }
export SOURCE_DATE_EPOCH=1700000000
scratch out
scratch w
mkdir -p fr && echo hi > fr/a && chmod -R a+rX fr
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 3650 \
	-subj /CN=vcompose-test 2>/dev/null
chmod a+r key.pem
ex=$VC_SOURCE_DIR/examples/minimal
vc build "$ex/config.xml" --root "$ex/root" -o out --json > manifest.json
vc erofs --root "$ex/root" -o w/r.erofs --json > erofs.json
vc verity format w/r.erofs w/r.verity --json > verity-format.json
rh=$(json_get verity-format.json root_hash)
vc verity verify w/r.erofs w/r.verity "$rh" --json > verity-verify.json
vc sign roothash --key key.pem --cert cert.pem --roothash "$rh" -o w/s.p7s --dps w/s.dps \
	--json > sign-roothash.json
vc sign dps --roothash "$rh" --p7s w/s.p7s --cert cert.pem -o w/d.dps --json > sign-dps.json
vc uki --stub "$stub" --linux "$kernel" --cmdline "ro" -o w/u.efi --json > uki.json
vc sign pe --key key.pem --cert cert.pem w/u.efi -o w/us.efi --json > sign-pe.json
vc fat --size 2M --root fr -o w/f.img --json > fat.json
vc gpt -o w/g.img --part root:w/r.erofs --part root-verity:w/r.verity --json > gpt.json
vc inspect out/minimal.raw --json > inspect.json
vc inspect w/us.efi --json > inspect-pe.json
vc inspect w/s.p7s --json > inspect-p7s.json
vc inspect w/s.dps --json > inspect-dps.json
vc verify out/minimal.raw --json > verify.json
# the manifest of a Secure Boot build (signed PEs, enrollment files) with an
# extra <partitions> entry: one build proves both parts of the schema
mkdir sbp && cd sbp
oem_inputs JSON-DOCS
sed 's|</bootloader>|</bootloader><partitions><partition name="var" size="8" mountpoint="/var" filesystem="ext4"/></partitions>|' \
	config.xml > sbp.xml
chmod a+r sbp.xml
scratch o
vc build sbp.xml --root tree --initrd initrd.img --sb-key key.pem --sb-cert cert.pem --sb-enroll \
	-o o --json > ../manifest-sb-parts.json 2>/dev/null
cd ..
python3 - manifest-sb-parts.json <<'PY' || fail "the Secure Boot + <partitions> manifest lacks what it is meant to prove"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["secure_boot"]["signed"]) >= 3 and len(d["secure_boot"]["enroll"]["files"]) == 3, d["secure_boot"]
assert [p["type"] for p in d["disk"]["partitions"]][-1] == "var", d["disk"]["partitions"]
PY
cp out/minimal.raw w/b.raw
printf x | dd of=w/b.raw bs=1 seek=3000000 conv=notrunc status=none
set +e
vc diff out/minimal.raw w/b.raw --json > diff.json
[ $? = 1 ] || fail "diff of two different images did not exit 1"
set -e
python3 - "$VC_SOURCE_DIR/docs/json" ./*.json <<'PY' || fail "a --json document does not match docs/json"
import json, re, sys, jsonschema, os
folder = sys.argv[1]
snake = re.compile(r'^[a-z][a-z0-9_]*$')
def keys(v, at):
    if isinstance(v, dict):
        for k, x in v.items():
            assert snake.match(k), f"{at}: key {k!r} is not snake_case"
            keys(x, f"{at}.{k}")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            keys(x, f"{at}[{i}]")
# the manifest's schema describes every key it has (a key missing there is
# undocumented): objects with "properties" must not carry others
def described(v, sch, root, at):
    if "$ref" in sch:
        sch = root["$defs"][sch["$ref"].split("/")[-1]]
    for alt in ("oneOf", "anyOf"):
        for a in sch.get(alt, []):
            if isinstance(v, dict) and a.get("type") == "object":
                described(v, a, root, at)
    if isinstance(v, dict) and "properties" in sch:
        for k, x in v.items():
            ok = k in sch["properties"] or isinstance(sch.get("additionalProperties"), dict)
            assert ok, f"{at}: key {k!r} is not in the schema"
            described(x, sch["properties"].get(k, {}), root, f"{at}.{k}")
    elif isinstance(v, list) and "items" in sch:
        for i, x in enumerate(v):
            described(x, sch["items"], root, f"{at}[{i}]")
seen = set()
for f in sys.argv[2:]:
    d = json.load(open(f))
    assert d.get("schema") == 2, f"{f}: schema {d.get('schema')!r}"
    name = d["document"]
    schema = json.load(open(os.path.join(folder, name + ".schema.json")))
    jsonschema.validate(d, schema)
    keys(d, f)
    if name == "manifest":
        described(d, schema, schema, f)
    seen.add(name)
every = {n[:-len(".schema.json")] for n in os.listdir(folder) if n.endswith(".schema.json")}
# sign join is checked by the tests of `vcompose sign join`
missing = every - seen - {"sign-join"}
assert not missing, f"no document checked for {sorted(missing)}"
print("ok:", len(sys.argv) - 2, "documents,", len(seen), "kinds")
PY
