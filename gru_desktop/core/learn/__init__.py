"""Learn (design §15): questions about the user's own model, every answer computed — shapes by running the
modules, parameter counts by numel(), errors by executing the snippet, numbers from the corpus and the run,
the model's answers from the model. Qt-free and storage-free: `jobs.learn` gathers the material."""
from .material import Material
from .question import DIFFICULTIES, FAMILIES, Mistake, Question, Skip
from .quiz import MODES, Quiz, build_questions, check_mode_seed, regenerate, stage_question
from .shapes import TENSORS
from .tags import TAG_TEXT, tag_text

__all__ = ["DIFFICULTIES", "FAMILIES", "MODES", "TENSORS", "Material", "Mistake", "Question", "Quiz", "Skip",
           "build_questions", "check_mode_seed", "regenerate", "stage_question", "TAG_TEXT", "tag_text"]
