"""Theme suggestion for recommendations: learn themes from confirmed labels, suggest them for
new texts with a probability, fall back to theme descriptions where labels are too few.

    model = train_theme_model([(text, ["Human rights defenders", ...]), ...])
    model.suggest(["Protect journalists from attacks ..."])[0].suggested
    data = model.to_bytes()  # store it; ThemeModel.from_bytes(data) gives it back
"""

from amparo.analysis.themes.descriptions import (
    DescriptionsError,
    ThemeDescription,
    load_descriptions,
)
from amparo.analysis.themes.encoder import EncoderError, TextEncoder, minilm_encoder
from amparo.analysis.themes.model import (
    ExamplesError,
    Method,
    ModelFileError,
    ThemeModel,
    ThemeScore,
    ThemeSuggestions,
    TrainingSettings,
    train_theme_model,
)

__all__ = [
    "DescriptionsError",
    "EncoderError",
    "ExamplesError",
    "Method",
    "ModelFileError",
    "TextEncoder",
    "ThemeDescription",
    "ThemeModel",
    "ThemeScore",
    "ThemeSuggestions",
    "TrainingSettings",
    "load_descriptions",
    "minilm_encoder",
    "train_theme_model",
]
