"""Classical computer-vision pieces of the offline ``local`` model (no weights).

* ``backdrop``: a smooth colour surface fitted to the image border (plain or gradient
  backdrops) and each pixel's distance from it;
* ``superpixels``: SLIC-like superpixels and their adjacency;
* ``saliency``: a border-prior saliency map (robust background detection by boundary
  connectivity) for textured or busy backgrounds;
* ``focus``: where the photo is in focus (the re-blur ratio of its edges), how far
  that can be trusted (the border out of focus), and fine detail where it cannot:
  together they weigh the saliency's foreground cue;
* ``refine``: GrabCut from seeds, mask clean-up and the guided filter for soft edges.
"""
