"""A stand-in for Google Colab's ``google.colab`` package, for the simulated Colab runtime.

Only what the lab relies on exists here: importing it makes ``"google.colab" in sys.modules``
true (how :func:`labhelpers.colab.in_colab` recognises Colab) and :mod:`google.colab.output`
has the widget-manager switches Colab offers, :mod:`google.colab.files` the ``upload()`` that
puts a student's file into the working folder. There is deliberately no ``google/__init__.py``
beside this folder: ``google`` stays a namespace package, so ``google.protobuf`` (TensorFlow's)
is still found in site-packages.
"""

from google.colab import files, output  # noqa: F401 - Colab's package exposes them the same way

#: Marks this module as the test's stand-in (the real package has no such name).
STAND_IN = True
