"""Drives the official E2B Python SDK against the stand-in and prints what it saw as JSON.

Run by tests/tests/e2b_sdk/main.rs with E2B_API_URL / E2B_SANDBOX_URL pointing at the stand-in.
Every step uses the SDK's public API only, exactly as a user would against E2B.
"""
import json
import sys
import time

from e2b import Sandbox, SandboxQuery
from e2b.exceptions import NotFoundException, SandboxException
from e2b.sandbox.commands.command_handle import CommandExitException

out = {}
run = sys.argv[1]

sbx = Sandbox.create("base", timeout=120, metadata={"swarm-probe": run, "n": "0"}, envs={"FOO": "bar"})
out["id"] = sbx.sandbox_id
info = sbx.get_info()
out["info_metadata"] = info.metadata
out["info_template"] = info.template_id
out["running"] = sbx.is_running()

# Files: write, read back (absolute and relative paths).
written = sbx.files.write("/home/user/probe.txt", "hello file\n")
out["written_path"] = written.path
out["read"] = sbx.files.read("/home/user/probe.txt")
sbx.files.write("rel.txt", b"relative bytes")
out["read_rel"] = sbx.files.read("/home/user/rel.txt")

# Foreground commands: the sandbox's env, the file written above, a failing exit.
r = sbx.commands.run("echo $FOO; cat probe.txt; echo err >&2")
out["fg"] = {"stdout": r.stdout, "stderr": r.stderr, "exit_code": r.exit_code}
try:
    sbx.commands.run("exit 3")
    out["exit3"] = None
except CommandExitException as e:
    out["exit3"] = e.exit_code

# Background with stdin: cat echoes what we send, then we kill it by pid.
h = sbx.commands.run("cat", background=True, stdin=True)
pid = h.pid
sbx.commands.send_stdin(pid, "hello stdin\n")
seen = ""
deadline = time.time() + 10
for stdout, stderr, pty in h:
    if stdout:
        seen += stdout
    if "hello stdin" in seen or time.time() > deadline:
        break
out["bg_echo"] = seen
out["listed_pids"] = [p.pid for p in sbx.commands.list()]
out["kill_pid"] = sbx.commands.kill(pid)
try:
    res = h.wait()
    out["bg_exit"] = res.exit_code
except CommandExitException as e:
    out["bg_exit"] = e.exit_code
    out["bg_error"] = e.error
out["kill_unknown_pid"] = sbx.commands.kill(999999)

# Timeout and listing by metadata, with paging (limit 2 over 3 sandboxes).
sbx.set_timeout(300)
others = [Sandbox.create("base", timeout=60, metadata={"swarm-probe": run, "n": str(i)}) for i in (1, 2)]
paginator = Sandbox.list(query=SandboxQuery(metadata={"swarm-probe": run}), limit=2)
pages = []
while paginator.has_next:
    items = paginator.next_items()
    pages.append(sorted(s.metadata["n"] for s in items))
out["pages"] = pages
out["listed_states"] = sorted({s.state.value for s in Sandbox.list(query=SandboxQuery(metadata={"swarm-probe": run})).next_items()})

# Kill: True, then False for the same sandbox; info on a killed sandbox is not found.
out["kill"] = sbx.kill()
out["kill_again"] = Sandbox.kill(sbx.sandbox_id)
try:
    Sandbox.get_info(sbx.sandbox_id)
    out["info_after_kill"] = "found"
except (NotFoundException, SandboxException) as e:
    out["info_after_kill"] = type(e).__name__
for o in others:
    o.kill()
left = Sandbox.list(query=SandboxQuery(metadata={"swarm-probe": run})).next_items()
out["left"] = len(left)
print(json.dumps(out))
