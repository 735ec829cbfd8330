"""Loading the images the envs play, apart from the envs themselves.

- ``idx``: the IDX file reader; ``datasets``: MNIST-format folders (the shipped MNIST copy in ``mnist/``)
  split into train, valid and test;
- ``splits``: every task's split rules (MNIST's, carved splits of your own images, Catch's seed blocks);
- your own images (``GlimpseImages-v0``): ``image_set`` (one ``ImageSet`` from a folder, an ``.npz`` file or
  arrays), ``image_folder`` (class folders of image files), ``npy_files`` (``.npy`` files, memory-mapped),
  ``image_fit`` (resize or pad to one size), ``image_split`` (carving missing splits), ``image_checks``
  (array checks and their messages).
"""
