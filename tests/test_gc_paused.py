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


class _Node:
    """An object the collector tracks."""


def test_freeze_leaves_what_was_built_out_of_later_collections() -> None:
    """With ``freeze``, the objects made inside (and all others then alive) are frozen as
    the collector comes back on: the next collection does not go through them again."""
    was = gc.isenabled()
    gc.enable()
    gc.unfreeze()
    try:
        with gc_paused(freeze=True):
            kept = [_Node() for _ in range(1000)]
        frozen = gc.get_freeze_count()
        assert frozen >= len(kept)
        with gc_paused():  # without it, nothing more is frozen
            more = [_Node() for _ in range(1000)]
        assert gc.get_freeze_count() == frozen and more
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()


def test_freeze_asked_inside_applies_when_the_outermost_block_ends() -> None:
    was = gc.isenabled()
    gc.unfreeze()
    try:
        gc.enable()
        with gc_paused():
            with gc_paused(freeze=True):
                kept = [_Node() for _ in range(1000)]
            assert gc.get_freeze_count() == 0  # still inside the outer block
        assert gc.get_freeze_count() >= len(kept)
        gc.unfreeze()
        gc.disable()  # a process that keeps the collector off (the command line) freezes nothing
        with gc_paused(freeze=True):
            kept = [_Node() for _ in range(1000)]
        assert gc.get_freeze_count() == 0
        with gc_paused():  # and the request does not linger for a later block
            pass
        gc.enable()
        with gc_paused():
            pass
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        (gc.enable if was else gc.disable)()
