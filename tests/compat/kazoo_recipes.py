"""kazoo's recipes against a ZooKeeper-protocol server: Lock, Election, ChildrenWatch, DataWatch.

Usage: python3 kazoo_recipes.py HOST:PORT
Prints one "ok <recipe>" line per recipe that behaved; exits non-zero on the first failure.
"""
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.recipe.election import Election
from kazoo.recipe.lock import Lock

HOSTS = sys.argv[1]
TIMEOUT_S = 30


def client():
    zk = KazooClient(hosts=HOSTS, timeout=10)
    zk.start(timeout=TIMEOUT_S)
    return zk


def wait_for(what, predicate):
    deadline = time.time() + TIMEOUT_S
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def lock_recipe():
    a, b = client(), client()
    lock_a, lock_b = Lock(a, "/kazoo/lock", "a"), Lock(b, "/kazoo/lock", "b")
    assert lock_a.acquire(timeout=TIMEOUT_S)
    acquired_b = threading.Event()

    def take_b():
        lock_b.acquire(timeout=TIMEOUT_S)
        acquired_b.set()

    thread = threading.Thread(target=take_b)
    thread.start()
    wait_for("b to queue", lambda: len(lock_a.contenders()) == 2)
    assert lock_a.contenders() == ["a", "b"], lock_a.contenders()
    assert not acquired_b.is_set(), "b got the lock while a held it"
    lock_a.release()
    assert acquired_b.wait(TIMEOUT_S), "b never got the lock after a released it"
    thread.join()
    lock_b.release()
    # a session that ends releases its lock node (ephemeral)
    assert lock_a.acquire(timeout=TIMEOUT_S)
    a.stop()
    assert lock_b.acquire(timeout=TIMEOUT_S), "lock not freed by a's session ending"
    lock_b.release()
    b.stop()
    print("ok Lock", flush=True)


def election_recipe():
    a, b = client(), client()
    leaders = []
    a_may_finish = threading.Event()

    def lead_a():
        leaders.append("a")
        a_may_finish.wait(TIMEOUT_S)

    def lead_b():
        leaders.append("b")

    election_a, election_b = Election(a, "/kazoo/election", "a"), Election(b, "/kazoo/election", "b")
    thread_a = threading.Thread(target=election_a.run, args=(lead_a,))
    thread_a.start()
    wait_for("a to lead", lambda: leaders == ["a"])
    thread_b = threading.Thread(target=election_b.run, args=(lead_b,))
    thread_b.start()
    wait_for("b to enter", lambda: len(election_a.contenders()) == 2)
    assert leaders == ["a"], leaders
    a_may_finish.set()  # a's leadership ends: b must take over
    thread_a.join(TIMEOUT_S)
    thread_b.join(TIMEOUT_S)
    assert leaders == ["a", "b"], leaders
    a.stop()
    b.stop()
    print("ok Election", flush=True)


def children_watch_recipe():
    watcher, writer = client(), client()
    writer.ensure_path("/kazoo/children")
    seen = []
    watcher.ChildrenWatch("/kazoo/children", lambda children: seen.append(sorted(children)))
    wait_for("initial children", lambda: seen and seen[-1] == [])
    writer.create("/kazoo/children/x")
    wait_for("x to appear", lambda: seen[-1] == ["x"])
    writer.create("/kazoo/children/e", ephemeral=True)
    wait_for("e to appear", lambda: seen[-1] == ["e", "x"])
    writer.stop()  # the ephemeral goes with the session
    wait_for("e to vanish", lambda: seen[-1] == ["x"])
    watcher.stop()
    print("ok ChildrenWatch", flush=True)


def data_watch_recipe():
    watcher, writer = client(), client()
    seen = []
    watcher.DataWatch("/kazoo/data", lambda data, stat: seen.append(data))
    wait_for("initial (missing) node", lambda: seen and seen[-1] is None)
    writer.create("/kazoo/data", b"one", makepath=True)
    wait_for("creation", lambda: seen[-1] == b"one")
    writer.set("/kazoo/data", b"two")
    wait_for("change", lambda: seen[-1] == b"two")
    writer.delete("/kazoo/data")
    wait_for("deletion", lambda: seen[-1] is None)
    watcher.stop()
    writer.stop()
    print("ok DataWatch", flush=True)


def transaction_and_basics():
    zk = client()
    zk.ensure_path("/kazoo/tx")
    tx = zk.transaction()
    tx.create("/kazoo/tx/a", b"1")
    tx.check("/kazoo/tx", 0)
    tx.set_data("/kazoo/tx", b"v")
    results = tx.commit()
    assert results[0] == "/kazoo/tx/a", results
    assert results[1] is True and results[2].version == 1, results
    tx = zk.transaction()
    tx.create("/kazoo/tx/b")
    tx.check("/kazoo/tx", 99)
    results = tx.commit()
    assert type(results[1]).__name__ == "BadVersionError", results
    assert zk.exists("/kazoo/tx/b") is None
    zk.sync("/kazoo")
    zk.stop()
    print("ok transaction", flush=True)


for recipe in (lock_recipe, election_recipe, children_watch_recipe, data_watch_recipe, transaction_and_basics):
    recipe()
