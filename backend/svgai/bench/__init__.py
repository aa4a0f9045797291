"""``svgai bench``: measured speed of the quality predictor against the real conversion loop.

Every figure comes from a run of this package on the machine at hand (nothing is a constant):
``svgai bench`` writes a JSON and a Markdown report from one run over the same images, and
``svgai bench load`` keeps the predictor and the router busy from several threads for a while.
Parts that need the trained model are reported as unavailable, with the reason, when it is missing.
"""
