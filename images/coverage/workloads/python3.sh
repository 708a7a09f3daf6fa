#!/usr/bin/env bash
# python3: the interpreter with common standard-library work: files, json, hashing, a thread,
# a loopback socket pair, time, random, os.walk.
source "$(dirname "$0")/lib.sh"
"${STRACE[@]}" /usr/bin/python3.11 - <<'PY'
import hashlib, json, os, random, socket, tempfile, threading, time
d = tempfile.mkdtemp(dir=os.environ["WORK"])
p = os.path.join(d, "data.json")
with open(p, "w") as f:
    json.dump({"n": [random.random() for _ in range(100)]}, f)
with open(p) as f:
    data = json.load(f)
print(hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16])
t = threading.Thread(target=lambda: time.sleep(0.01)); t.start(); t.join()
a, b = socket.socketpair(); a.sendall(b"ping"); print(b.recv(4)); a.close(); b.close()
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); c = socket.create_connection(s.getsockname())
conn, _ = s.accept(); c.sendall(b"x"); print(conn.recv(1)); conn.close(); c.close(); s.close()
print(sum(len(files) for _, _, files in os.walk(os.environ["WORK"])), time.time() > 0)
os.remove(p); os.rmdir(d)
PY
