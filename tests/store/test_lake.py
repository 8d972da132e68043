"""A shared registry's writers take turns through PostgreSQL: one waits in line while another
process writes, is told who holds the turn once its deadline passes, and writes once it is
let go."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from jupyter_mlops import Registry
from jupyter_mlops.errors import RegistryBusyError

HOLD = """
import sys
from jupyter_mlops import Registry

with Registry(sys.argv[1], data_path=sys.argv[2]).db.write():
    print("holding", flush=True)
    sys.stdin.readline()
"""
WAITING = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"


def test_a_writer_waits_in_line_and_names_who_holds_the_turn_past_its_deadline(
    postgres, lake_url, tmp_path, fitted
):
    data = tmp_path / "registry"
    impatient = Registry(lake_url, data_path=data, lock_timeout=0.2)
    patient = Registry(lake_url, data_path=data, lock_timeout=60)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, lake_url, str(data)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(RegistryBusyError, match=f"locked by process {holder.pid} on "):
            impatient.register("churn", fitted)

        done: list[int] = []
        waiter = threading.Thread(
            target=lambda: done.append(patient.register("churn", fitted).version)
        )
        waiter.start()
        while postgres.execute(WAITING) == [(0,)] and waiter.is_alive():
            pass  # until PostgreSQL shows the patient writer queued for the turn
        assert not done
        holder.stdin.write("\n")
        holder.stdin.flush()
        waiter.join(timeout=60)
        assert done == [1]
    finally:
        holder.kill()
        holder.wait()
    assert impatient.register("churn", fitted, force=True).version == 2  # its turn came back
