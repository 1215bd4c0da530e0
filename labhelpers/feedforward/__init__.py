"""Lesson 09's feed-forward style networks: the same losses, the network's weights as variable.

- :mod:`.network`: the small image transformation network (strided convolutions, residual
  blocks, upsampling, instance normalisation) and its weight files;
- :mod:`.photos`: the training photos with their licences, the held-out ones, augmentation;
- :mod:`.training`: the loss of a batch of the network's pictures, one training step, the loop;
- :mod:`.library`: trained networks (shipped in ``networks/``, or the user's), ``fast_stylize``.

Nothing is imported here: ``labhelpers.feedforward.library`` etc. load TensorFlow when used.
"""
