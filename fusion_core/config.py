"""Training configuration, shared by the training loop and the tasks' recipes."""

from dataclasses import dataclass


@dataclass
class TrainConfig:
    """How one model is trained; stored in its card so the run can be repeated."""

    epochs: int = 8
    batch_size: int = 128
    lr: float = 3e-3  # peak of the one-cycle schedule
    weight_decay: float = 1e-4
    modality_dropout: float = 0.3  # chance a sample loses a random non-empty proper subset of modalities
    corrupt_prob: float = 0.25  # chance, per sample and modality, of a random corruption at a random level
    corrupt_power: float = 1.0  # level = U(0,1) ** power: below 1 favours severe damage (learn to ignore it)
    aux_weight: float = 0.0  # weight of the auxiliary unimodal heads' loss (needs aux_heads=True)
    freeze_encoders: bool = False  # keep pretrained encoders fixed
    pretrained_encoders: bool = False  # start from the unimodal baselines' encoders (transfer learning)
    pretrain_epochs: int = 0  # baselines: epochs on the task's auxiliary objective before the label (0: none)
    augment: bool = True
    augment_features: bool = True  # also the feature-level augmentations (a spectrogram's vocal-tract warp)
    seed: int = 0
