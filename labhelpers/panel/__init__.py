"""The style-transfer panel of lesson 07 (``notebooks/07_style_transfer.ipynb``).

- :mod:`.view`: :class:`~.view.StyleTransferPanel`, what the student sees and presses.
- :mod:`.controls`: the widgets, their layout and CSS classes.
- :mod:`.sources`: :class:`~.sources.PictureSources`, the pictures to choose from (bundled and
  uploaded) and reading uploads.
- :mod:`.runner`: :class:`~.runner.TransferRunner`, running in a thread with Stop (an Event), or
  in the foreground in Colab.

``StyleTransferPanel`` is also ``labhelpers.StyleTransferPanel``.
"""
