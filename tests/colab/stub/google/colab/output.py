"""Stand-in for ``google.colab.output``: the two widget-manager switches, recording their calls."""

calls: list[str] = []


def enable_custom_widget_manager() -> None:
    """Colab: let third-party ipywidgets render. Here: only recorded in :data:`calls`."""
    calls.append("enable_custom_widget_manager")


def disable_custom_widget_manager() -> None:
    """Colab: back to the built-in widget manager. Here: only recorded in :data:`calls`."""
    calls.append("disable_custom_widget_manager")
