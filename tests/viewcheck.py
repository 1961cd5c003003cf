"""Shared by the tests/test_views_<notebook>.py files: move one control of a slider view."""


def moves(view, name, value) -> bool:
    """Set control ``name`` of ``view`` to ``value``; True when the picture changed. Fails when the
    view shows no PNG or its render raised."""
    before = view.image.value
    assert before[:4] == b"\x89PNG", f"{name}: the view shows no PNG before the move"
    view.controls[name].value = value
    assert view.last_error is None, f"moving {name} to {value} raised:\n{view.last_error}"
    return view.image.value != before
