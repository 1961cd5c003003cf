"""Labs 05 and 05b, GANs: generators and discriminators (``models``), adversarial losses and R1
(``losses``), the trainers (``train``; ProGAN in ``progan``, CycleGAN and paired pix2pix in
``cyclegan``), the judge classifier that scores samples (``judge``, also used by lab 06), Frechet
distance and mode coverage (``metrics``), figures and slider views (``views``, ``beyond_views``) and
the checks of both labs (``checks``, ``beyond_checks``)."""
