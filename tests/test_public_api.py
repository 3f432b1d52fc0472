"""The public namespace: every exported name imports, and the list is sorted."""

import layerwise


def test_every_exported_name_exists():
    missing = [name for name in layerwise.__all__ if not hasattr(layerwise, name)]
    assert missing == []


def test_exported_names_are_sorted():
    # ruff's order: constants in capitals, then classes, then functions.
    def order(name):
        return (not name.isupper(), not name[0].isupper(), name)

    assert layerwise.__all__ == sorted(layerwise.__all__, key=order)


def test_version_is_a_string():
    assert isinstance(layerwise.__version__, str)
    assert layerwise.__version__.count(".") >= 2
