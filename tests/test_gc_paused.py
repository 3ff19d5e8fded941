"""gc_paused: the collector is off inside, back to its state after, across nesting and threads."""

from __future__ import annotations

import gc
import threading

from papershelf.storage import gc_paused


def test_nesting_restores_the_state_it_found() -> None:
    was = gc.isenabled()
    try:
        for start in (True, False):
            (gc.enable if start else gc.disable)()
            with gc_paused():
                assert not gc.isenabled()
                with gc_paused():
                    assert not gc.isenabled()
                assert not gc.isenabled()
            assert gc.isenabled() is start
    finally:
        (gc.enable if was else gc.disable)()


def test_overlapping_threads_turn_it_back_on_once_both_are_done() -> None:
    was = gc.isenabled()
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    try:
        thread = threading.Thread(target=other)
        with gc_paused():
            thread.start()
            inside.wait(5)
        assert not gc.isenabled()  # the other thread is still inside
        release.set()
        thread.join(5)
        assert gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
