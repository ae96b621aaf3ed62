"""Training in several processes from the window (design §12): the GUI never hosts ranks itself.

A thin Qt wrapper over `jobs.child_run.train_in_child`, which starts the CLI under torchrun as a child
process, finds its run by the token it gave it and turns what the child records into the same events a run
in this process yields; `TrainWorker.work` turns them into the same signals, so the Training page cannot
tell the difference. Cancel sends the child SIGINT.
"""
from __future__ import annotations

from .train_worker import TrainWorker


def train_command(paths: list[str], config, home, probes: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The child's command line (jobs.run_follower.train_command, kept here for existing callers)."""
    from ...jobs.run_follower import train_command as command

    return command(paths, config, home, probes)


class ProcessTrainWorker(TrainWorker):
    pausable = True  # Pause asks for a pause through the database; the processes agree on the step

    def _events(self):
        from ...jobs.child_run import resume_in_child, train_in_child

        if self.resume is not None:
            return resume_in_child(self.resume, self.home, self.stop_event, self.pause_event, on_start=self._started)
        self.config.validate()
        return train_in_child([f.path for f in self.corpus.files], self.config, self.home, self.probes,
                              self.stop_event, self.pause_event, name=self.name, on_start=self._started)

    def _started(self, process) -> None:
        self.process = process
