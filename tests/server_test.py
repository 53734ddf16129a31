#!/usr/bin/env python3
"""`ftl serve` from outside, as HTTP clients see it: the auth matrix, idempotent retries (also
across a restart), two clients recording one task at once, SIGTERM under load losing no
acknowledged write, limits (bodies, headers, slow clients, a connection cap), malformed
requests, and every route the OpenAPI document lists answering. Each server is started here on
a free loopback port in a temp dir and stopped by its pid.

usage: server_test.py FTL SOURCE_DIR
"""
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

FTL, SRC = sys.argv[1], sys.argv[2]
PAGE = os.path.join(SRC, "examples/playbooks/enable-services.md")
WORK = tempfile.mkdtemp(prefix="ftl-server-")
DB = os.path.join(WORK, "db")
ENV = dict(os.environ, FTL_DB=DB, FTL_ACTOR="tester", NO_COLOR="1", FTL_SNAPSHOT_KEY=os.path.join(WORK, "snapshot.key"))
ENV.pop("FTL_SERVER", None)
ENV.pop("FTL_TOKEN", None)
passed = failed = 0
SERVERS = []
finished = False


def cleanup():
    """Stops any server a failed step left running; keeps the temp dir only when a check failed."""
    for srv in SERVERS:
        if srv.proc.poll() is None:
            srv.proc.kill()
            srv.proc.wait()
    if failed or not finished:
        print(f"kept {WORK} for a look")
    else:
        shutil.rmtree(WORK, ignore_errors=True)


atexit.register(cleanup)


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}" + (f": {detail}" if detail else ""))


def ftl(*args, env=None):
    return subprocess.run([FTL, *args], env=env or ENV, capture_output=True, text=True, timeout=120)


class Server:
    def __init__(self, *extra):
        self.out = open(os.path.join(WORK, "serve.out"), "w+")
        self.err = open(os.path.join(WORK, "serve.err"), "w+")
        self.proc = subprocess.Popen([FTL, "serve", "--listen", "127.0.0.1:0", *extra], env=ENV, stdout=self.out, stderr=self.err)
        SERVERS.append(self)
        deadline = time.time() + 20
        self.port = None
        while time.time() < deadline and self.port is None:
            self.out.seek(0)
            for line in self.out.read().splitlines():
                if line.startswith("listening on http://127.0.0.1:"):
                    self.port = int(line.rsplit(":", 1)[1])
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.port is None:
            self.err.seek(0)
            raise RuntimeError("the server did not start: " + self.err.read())

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)


def request(port, method, path, token=None, body=None, headers=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    raw = r.read()
    c.close()
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    return r.status, doc, r.getheader("Content-Type", "")


def token(name, role):
    r = ftl("token", "add", name, "--role", role)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


# A ledger with a catalog, an engagement and tokens of each role.
assert ftl("--quiet", "playbook", "import", PAGE).returncode == 0
assert ftl("engagement", "open", "contoso", "--customer", "Contoso Ltd", "--seats", "25000", "--services", "Exchange, Teams, SharePoint").returncode == 0
ADMIN, WRITER, READER, GONE = token("root", "admin"), token("ryan", "writer"), token("audit-team", "reader"), token("gone", "writer")
check("a token is 256 random bits, printed once", ADMIN.startswith("ftl_") and len(ADMIN) == 68)
import hashlib
access_log = ftl("--format", "jsonl", "log", "--stream", "access").stdout
check("only its hash is kept", ADMIN not in access_log and hashlib.sha256(ADMIN.encode()).hexdigest() in access_log)

srv = Server("--header-timeout", "1", "--body-timeout", "1", "--max-connections", "8")
P = srv.port

# The auth matrix.
s, d, ctype = request(P, "GET", "/v1/engagements")
check("no token is 401 as problem+json", s == 401 and ctype.startswith("application/problem+json") and d["status"] == 401, (s, d))
s, d, _ = request(P, "GET", "/v1/engagements", token="ftl_" + "0" * 64)
check("an unknown token is 401", s == 401, (s, d))
s, d, _ = request(P, "GET", "/v1/engagements", token=READER)
check("a reader reads", s == 200 and d["rows"][0]["id"] == "contoso", (s, d))
s, d, _ = request(P, "POST", "/v1/engagements/contoso/tasks/1126/done", token=READER, body={})
check("a reader writing is 403", s == 403, (s, d))
s, d, _ = request(P, "POST", "/v1/playbooks", token=WRITER, body={"pages": [{"file": "x.md", "content": "# x"}]})
check("a writer importing is 403", s == 403, (s, d))
s, d, _ = request(P, "POST", "/v1/engagements/contoso/tasks/1126/done", token=WRITER, body={"actor": "someone-else"})
check("an actor in the body is refused", s == 422 and d["tag"] == "args.actor", (s, d))
s, d, _ = request(P, "POST", "/v1/engagements/contoso/tasks/1126/done", token=GONE, body={"note": "before"})
check("a writer records, as itself", s == 201 and d["events"] == 1, (s, d))
seq = d["first_sequence"]
s, d, _ = request(P, "GET", f"/v1/log?from={seq}&limit=1", token=READER)
check("the actor is the token's name", s == 200 and d["rows"][0]["actor"] == "gone", (s, d))
s, d, _ = request(P, "DELETE", "/v1/tokens/gone", token=ADMIN, body={"reason": "left"})
check("an admin revokes", s == 200 and d["revoked"] is True, (s, d))
s, d, _ = request(P, "POST", "/v1/engagements/contoso/tasks/1126/reopen", token=GONE, body={})
check("a revoked token stops working at once", s == 401, (s, d))
s, d, _ = request(P, "GET", "/v1/audit?type=TokenRevoked", token=READER)
check("the revocation is in the audit trail, by the admin who made it", s == 200 and any(r["actor"] == "root" and r["stream"] == "access" for r in d["rows"]), (s, d))

# Idempotent retries: the key is the event id; the retry returns the first result.
key = str(uuid.uuid4())
r1 = request(P, "POST", "/v1/engagements/contoso/notes", token=WRITER, body={"kind": "environment", "text": "once"}, headers={"Idempotency-Key": key})
r2 = request(P, "POST", "/v1/engagements/contoso/notes", token=WRITER, body={"kind": "environment", "text": "once"}, headers={"Idempotency-Key": key})
check("a retry returns the original sequence", r1[0] == 201 and r2[0] == 200 and r2[1]["duplicate"] and r1[1]["first_sequence"] == r2[1]["first_sequence"], (r1, r2))
s, d, _ = request(P, "GET", "/v1/engagements/contoso", token=READER)
check("and records once", [n["text"] for n in d["notes"]].count("once") == 1, d["notes"])
s, d, _ = request(P, "POST", "/v1/engagements/contoso/usage", token=WRITER, body={"active_users": 5}, headers={"Idempotency-Key": key})
check("a key used for another request is refused", s == 422 and d["tag"] == "idempotency.reused", (s, d))

# Two clients record the same task at once: one records it, the other is told it is done.
results = []
def done_1158():
    results.append(request(P, "POST", "/v1/engagements/contoso/tasks/1158/done", token=WRITER, body={}))
ts = [threading.Thread(target=done_1158) for _ in range(2)]
[t.start() for t in ts]
[t.join() for t in ts]
recorded = sorted(r[1]["events"] for r in results)
check("two at once: one records, one is told it is done", recorded == [0, 1] and any("already done" in r[1]["message"] for r in results), results)

# A field the event would not keep is refused, never dropped: a reopening keeps a reason, a
# completion a note.
head = request(P, "GET", "/v1/health", token=READER)[1]["sequence"]
s, d, _ = request(P, "POST", "/v1/engagements/contoso/tasks/1158/reopen", token=WRITER, body={"note": "kept?"})
check("a note on a reopening is refused", s == 422 and d["tag"] == "args.unknown" and "note" in d["detail"], (s, d))
s, d, _ = request(P, "POST", "/v1/engagements/contoso/tasks/1159/done", token=WRITER, body={"reason": "why"})
check("a reason on a completion is refused", s == 422 and d["tag"] == "args.unknown" and "reason" in d["detail"], (s, d))
s, d, _ = request(P, "GET", "/v1/health", token=READER)
check("health says it can write, and how many are connected", s == 200 and d["writable"] and d["connections"] >= 1 and d["sequence"] == head, d)

# Limits and malformed requests; the server keeps serving everyone else.
s, d, _ = request(P, "POST", "/v1/engagements/contoso/notes", token=WRITER, body={"kind": "environment", "text": "x" * (2 << 20)})
check("a body over 1 MiB is 413", s == 413, (s, d))
s, d, _ = request(P, "POST", "/v1/engagements/contoso/notes", token=WRITER, body="{not json")
check("a body that is not JSON is 400", s == 400, (s, d))
s, d, _ = request(P, "GET", "/v1/nothing-here", token=READER)
check("an unknown route is 404", s == 404, (s, d))
s, d, _ = request(P, "PUT", "/v1/engagements", token=READER)
check("a method a route does not have is 405", s == 405, (s, d))
s, d, _ = request(P, "GET", "/v1/engagements/nosuch", token=READER)
check("an unknown engagement is 404 with the CLI's sentence", s == 404 and d["detail"].startswith("no engagement nosuch"), (s, d))
s, d, _ = request(P, "POST", "/v1/engagements", token=WRITER, body={"engagement": "contoso", "customer": "C", "seats": 5, "services": "Exchange"})
check("opening an open engagement is 409", s == 409, (s, d))
s, d, _ = request(P, "GET", "/v1/engagements", token=READER, headers={"X-Big": "y" * (32 << 10)})
check("headers over the limit are refused", s in (400, 413, 431), (s, d))


def raw(data, wait=2.0):
    sock = socket.create_connection(("127.0.0.1", P), timeout=wait + 5)
    sock.sendall(data)
    sock.settimeout(wait)
    got = b""
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    sock.close()
    return got


check("garbage is 400, not a crash", raw(b"\x00\x01garbage\r\n\r\n").startswith(b"HTTP/1.1 400"))
cut = socket.create_connection(("127.0.0.1", P), timeout=5)
cut.sendall(b"POST /v1/engagements/contoso/notes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\"")
cut.close()
s, d, _ = request(P, "GET", "/v1/health", token=READER)
check("a request cut short is dropped, and the server goes on", s == 200, (s, d))
slow = socket.create_connection(("127.0.0.1", P), timeout=10)
slow.sendall(b"GET /v1/engagements HTTP/1.1\r\nHost: x\r\n")
time.sleep(2.5)
slow.settimeout(3)
try:
    got = slow.recv(4096)
except OSError:
    got = b""
check("a slow client (headers begun, not finished in time) is told 408 and dropped", got.startswith(b"HTTP/1.1 408"), got[:60])
slow.close()
half = socket.create_connection(("127.0.0.1", P), timeout=10)
half.sendall(b"POST /v1/engagements/contoso/notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + WRITER.encode() +
             b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"kind\"")
time.sleep(1.5)
half.settimeout(3)
try:
    got = half.recv(4096)
except OSError:
    got = b""
half.close()
check("a body not finished in time is told 408, and nothing is recorded", got.startswith(b"HTTP/1.1 408") and request(P, "GET", "/v1/health", token=READER)[1]["sequence"] == head, got[:60])
# The connections above may linger a moment (the server reads what a client still sends after
# an answer that closes): wait until the server counts only the one asking.
for _ in range(100):
    if request(P, "GET", "/v1/health", token=READER)[1].get("connections") == 1:
        break
    time.sleep(0.05)
idle = [socket.create_connection(("127.0.0.1", P)) for _ in range(8)]
time.sleep(0.3)
over = raw(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", wait=2)
check("over the connection cap is 503", over.startswith(b"HTTP/1.1 503"), over[:400])
for sock in idle:
    sock.close()
time.sleep(0.3)
s, d, _ = request(P, "GET", "/v1/engagements", token=READER)
check("and everyone else is still served", s == 200, (s, d))

# A view's document is sent again while its engagement and the catalog stay as they were (ETag).
def get_with_headers(path, headers):
    c = http.client.HTTPConnection("127.0.0.1", P, timeout=30)
    c.request("GET", path, headers={"Authorization": "Bearer " + READER, **headers})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r.getheader("ETag"), body
s1, tag1, b1 = get_with_headers("/v1/engagements/contoso", {})
s2, tag2, b2 = get_with_headers("/v1/engagements/contoso", {})
check("the same state has the same ETag and document", s1 == s2 == 200 and tag1 and tag1 == tag2 and b1 == b2, (tag1, tag2))
s3, tag3, b3 = get_with_headers("/v1/engagements/contoso", {"If-None-Match": tag1})
check("If-None-Match of the current tag is 304 with no body", s3 == 304 and b3 == b"", s3)
request(P, "POST", "/v1/engagements/contoso/notes", token=WRITER, body={"kind": "environment", "text": "etag moves"})
s4, tag4, b4 = get_with_headers("/v1/engagements/contoso", {"If-None-Match": tag1})
check("a change gives a new tag and the new document", s4 == 200 and tag4 != tag1 and b"etag moves" in b4, (s4, tag4))
s5, tag5, b5 = get_with_headers("/v1/engagements/contoso?as_of=1", {})
check("a view as of a moment has no tag", tag5 is None, tag5)

# One key sent twice at once, with different bodies or to different engagements: at most one
# is recorded under it, and no answer claims an event that is not its own.
assert ftl("--format", "json", "token", "list").returncode == 0
s, d, _ = request(P, "POST", "/v1/engagements", token=WRITER, body={"engagement": "fabrikam", "customer": "Fabrikam", "seats": 100, "services": "Exchange"})
check("a second engagement opens", s == 201, (s, d))
def text_at(seq):
    st, doc, _ = request(P, "GET", f"/v1/log?from={seq}&limit=1", token=READER)
    return doc["rows"][0]["stream"], doc["rows"][0]["data"].get("text")
claims_ok = True
for i in range(10):
    k = f"race-{i}-{uuid.uuid4()}"
    targets = [("contoso", f"body A {i}"), ("contoso" if i % 2 else "fabrikam", f"body B {i}")]
    got = []
    def send(e, text):
        got.append((e, text, request(P, "POST", f"/v1/engagements/{e}/notes", token=WRITER, body={"kind": "environment", "text": text}, headers={"Idempotency-Key": k})))
    ts = [threading.Thread(target=send, args=t) for t in targets]
    [t.start() for t in ts]
    [t.join() for t in ts]
    for e, text, (st, doc, _) in got:
        if st in (200, 201) and text_at(doc["first_sequence"]) != ("engagement/" + e, text):
            claims_ok = False
            print("  claimed", e, text, st, doc, "but the event is", text_at(doc["first_sequence"]))
    if sorted(r[2][0] for r in got)[0] not in (200, 201):
        claims_ok = False
check("the same key at once: no answer claims another request's event", claims_ok)

# Many writers on one engagement all record (they take turns; none is told of a conflict).
codes = []
def one_writer(i):
    for n in range(10):
        codes.append(request(P, "POST", "/v1/engagements/contoso/notes", token=WRITER, body={"kind": "environment", "text": f"w{i}-{n}"})[0])
ts = [threading.Thread(target=one_writer, args=(i,)) for i in range(6)]
[t.start() for t in ts]
[t.join() for t in ts]
check("6 writers on one engagement at once: every note recorded", codes.count(201) == 60, sorted(set(codes)))

# What a request must be, refused on its headers.
def answer(data, wait=3.0):
    return raw(data, wait)
tok = ("Authorization: Bearer " + WRITER + "\r\n").encode()
check("two Authorization headers are 400", answer(b"GET /v1/engagements HTTP/1.1\r\nHost: x\r\n" + tok + b"Authorization: Bearer nope\r\n\r\n").startswith(b"HTTP/1.1 400"))
check("two Idempotency-Keys are 400", answer(b"POST /v1/engagements/contoso/notes HTTP/1.1\r\nHost: x\r\n" + tok + b"Idempotency-Key: a\r\nIdempotency-Key: b\r\nContent-Length: 2\r\n\r\n{}").startswith(b"HTTP/1.1 400"))
check("an empty Idempotency-Key is 400", answer(b"POST /v1/engagements/contoso/notes HTTP/1.1\r\nHost: x\r\n" + tok + b"Idempotency-Key:\r\nContent-Length: 2\r\n\r\n{}").startswith(b"HTTP/1.1 400"))
check("a transfer coding other than chunked is 400", answer(b"POST /v1/engagements/contoso/notes HTTP/1.1\r\nHost: x\r\n" + tok + b"Transfer-Encoding: gzip\r\n\r\n{}").startswith(b"HTTP/1.1 400"))
check("no Host is 400", answer(b"GET /v1/engagements HTTP/1.1\r\n" + tok + b"\r\n").startswith(b"HTTP/1.1 400"))
head = answer(b"HEAD /v1/engagements HTTP/1.1\r\nHost: x\r\n\r\n")
check("HEAD is 405 with Allow and no body", head.startswith(b"HTTP/1.1 405") and b"Allow: GET, POST" in head and head.endswith(b"\r\n\r\n"), head)
stalled = socket.create_connection(("127.0.0.1", P), timeout=5)
stalled.sendall(b"POST /v1/engagements/contoso/notes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
stalled.settimeout(3)
try:
    early = stalled.recv(4096)
except OSError:
    early = b""
stalled.close()
check("a request with no token is refused before its body is read", early.startswith(b"HTTP/1.1 401"), early[:60])
cont = socket.create_connection(("127.0.0.1", P), timeout=5)
note = b'{"kind":"environment","text":"expected"}'
cont.sendall(b"POST /v1/engagements/contoso/notes HTTP/1.1\r\nHost: x\r\n" + tok + b"Expect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: " + str(len(note)).encode() + b"\r\n\r\n")
first = cont.recv(4096)
cont.sendall(note)
rest = cont.recv(4096)
cont.close()
check("Expect: 100-continue is met", first.startswith(b"HTTP/1.1 100") and (rest.startswith(b"HTTP/1.1 201") or b"HTTP/1.1 201" in first), (first[:40], rest[:40]))
s, d, _ = request(P, "POST", "/v1/engagements/contoso/tasks/1127/done", token=WRITER, body='{"note": ' + "[" * 50000 + "]" * 50000 + "}")
check("a body nested 50,000 deep is 400, and the server goes on", s == 400 and "deeper than 64" in d["detail"] and request(P, "GET", "/v1/health")[0] == 200, (s, d))
s, d, _ = request(P, "POST", "/v1/engagements/contoso/notes", token=WRITER, body='{"kind":"environment","text":"first","text":"second"}')
check("a key given twice in a body is 400", s == 400 and "twice" in d["detail"], (s, d))
s, d, _ = request(P, "POST", "/v1/engagements/contoso/notes", token=WRITER, body=b'{"kind":"environment","text":"caf\xe9"}')
check("a body that is not UTF-8 is 400 naming where", s == 400 and "not JSON" in d["detail"], (s, d))
s, d, _ = request(P, "DELETE", "/v1/tokens/root", token=ADMIN, body={})
check("the last admin cannot be revoked", s == 422 and d["tag"] == "token.last_admin", (s, d))
s, d, _ = request(P, "POST", "/v1/tokens", token=ADMIN, body={"name": "root", "role": "reader", "replace": True})
check("nor replaced by a lesser role", s == 422 and d["tag"] == "token.last_admin", (s, d))
s, d, _ = request(P, "POST", "/v1/tokens", token=ADMIN, body={"name": "ryan", "role": "admin"})
check("a name that holds a token is not silently given another", s == 422 and d["tag"] == "token.exists", (s, d))
check("a local token list works while the server runs", ftl("token", "list").returncode == 0)

# Every route the OpenAPI document lists answers (not 404 or 405).
s, api, _ = request(P, "GET", "/v1/openapi.json")
check("the OpenAPI document is served", s == 200 and api["openapi"].startswith("3."), s)
fill = {"engagement": "contoso", "task": "1126", "service": "Exchange", "contact": "nobody", "event_id": "nope", "playbook": "enable-services", "name": "nobody"}
missing = []
for path, methods in api["paths"].items():
    concrete = path
    for k, v in fill.items():
        concrete = concrete.replace("{" + k + "}", v)
    for m in methods:
        if m == "post" and path in ("/v1/admin/rebuild",):
            continue  # refolds everything: answered below on its own
        st, doc, _ = request(P, m.upper(), concrete, token=ADMIN, body={} if m != "get" else None)
        if st in (404, 405) and not (doc and doc.get("tag") not in ("http.route", "http.method")):
            missing.append((m, path, st, doc))
check("every listed route answers", not missing, missing[:3])
s, d, _ = request(P, "POST", "/v1/admin/rebuild", token=ADMIN, body={})
check("rebuild over HTTP", s == 200 and d["engagements"] == 2, (s, d))
check("a local writer on a served ledger fails at once naming the server", (lambda r: r.returncode == 5 and f"127.0.0.1:{P}" in r.stderr)(ftl("task", "done", "contoso", "1159")))
check("local reads keep working while it serves", ftl("engagement", "show", "contoso").returncode == 0)

# SIGTERM under load: every write answered 2xx is in the ledger after the restart.
acked, answered, lock, stop_at = [], [], threading.Lock(), time.time() + 1.5
def writer(i):
    n = 0
    while time.time() < stop_at + 5:
        k = f"load-{i}-{n}"
        n += 1
        try:
            st, doc, _ = request(P, "POST", "/v1/engagements/contoso/notes", token=WRITER, body={"kind": "environment", "text": k}, headers={"Idempotency-Key": k}, timeout=10)
        except OSError:
            return
        with lock:
            answered.append(st)
            if st in (200, 201):
                acked.append(k)
ws = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
[w.start() for w in ws]
time.sleep(1.5)
rc = srv.stop()
[w.join() for w in ws]
check("SIGTERM exits 0", rc == 0, rc)
check("requests read before it were answered, the rest told it is stopping", set(answered) <= {200, 201, 503}, sorted(set(answered)))
check("the server file is gone with it", not os.path.exists(os.path.join(DB, "FTL-SERVER")))
ids = set(json.loads(l)["event_id"] for l in ftl("--format", "jsonl", "log", "--stream", "engagement/contoso").stdout.splitlines())
lost = [k for k in acked if k not in ids]
check(f"no acknowledged write lost ({len(acked)} acknowledged)", acked and not lost, lost[:5])
check("verify is green after it", ftl("verify").returncode == 0)

# The retry of a write acknowledged before a restart is still recorded once.
srv = Server()
s, d, _ = request(srv.port, "POST", "/v1/engagements/contoso/notes", token=WRITER, body={"kind": "environment", "text": "once"}, headers={"Idempotency-Key": key})
check("a retry across a restart returns the original sequence", s == 200 and d["duplicate"] and d["first_sequence"] == r1[1]["first_sequence"], (s, d))

# The raw log over HTTP comes in pages of at most 1,000 events; the CLI pages through them.
head = request(srv.port, "GET", "/v1/health")[1]["sequence"]
s, d, _ = request(srv.port, "GET", "/v1/log?limit=0", token=READER)
check("a log answer holds one page", s == 200 and d["count"] == min(head, 1000) and d["next_from"] == min(head, 1000) + 1, (s, head, d.get("count")))
remote = dict(ENV, FTL_SERVER=f"http://127.0.0.1:{srv.port}", FTL_TOKEN=READER)
lines = ftl("--format", "jsonl", "log", env=remote).stdout.splitlines()
check(f"the CLI over HTTP reads every page ({head} events)", head > 1000 and len(lines) == head and json.loads(lines[-1])["sequence"] == head, (head, len(lines)))
some = ftl("--format", "jsonl", "log", "--limit", "1500", env=remote).stdout.splitlines()
check("and stops at the limit asked for, across pages", len(some) == min(head, 1500), len(some))
srv.stop()

print(f"{passed} passed, {failed} failed")
finished = True
sys.exit(1 if failed else 0)
