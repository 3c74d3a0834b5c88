"""The service runs enabled, sandboxed, as the service user and within its resource caps (a
failed health gate's journal at -vvv: test_bad_input.py)."""
from constants import SERVICE
from lab import host_output, host_vars


def test_the_service_runs_with_resource_caps():
    workers = int(host_vars().get("litellm_copilot_num_workers", 1))
    shown = host_output("systemctl", "show", SERVICE, "--property", "MemoryMax,TasksMax,LimitNOFILE")
    limits = dict(line.split("=", 1) for line in shown.split())
    # 2 GiB a worker: the old proxy and the new one run side by side during a hand-over.
    assert limits == {"MemoryMax": str(workers * 2 * 1024 * 1024 * 1024), "TasksMax": "512", "LimitNOFILE": "65536"}
    # The proxy runs within them, enabled, sandboxed, as the service user.
    shown = host_output("systemctl", "show", SERVICE, "--property",
                        "ActiveState,UnitFileState,User,ProtectSystem,NoNewPrivileges")
    assert dict(line.split("=", 1) for line in shown.split()) == {
        "ActiveState": "active", "UnitFileState": "enabled", "User": "litellm", "ProtectSystem": "strict",
        "NoNewPrivileges": "yes"}
