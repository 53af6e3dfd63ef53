"""What training prints: colours and progress bars on a screen, plain lines in a log.

A terminal or a notebook shows skorch's coloured table of losses and its
tqdm progress bar. Anywhere else (a file, a pipe, a CI log) the same table
is written without escape codes and the bar, which would write fragments
like ``0%| | 0/9`` into the file, is left out.
"""

import sys
import time

from skorch.callbacks import PrintLog
from skorch.utils import Ansi

__all__ = ["StreamProgress", "TablePrintLog", "on_screen"]


def on_screen(stream=None):
    """Whether ``stream`` (default: the current ``sys.stdout``) is shown on a screen.

    True for a terminal and for a Jupyter notebook's output, False for a
    file, a pipe or a captured stream.
    """
    stream = sys.stdout if stream is None else stream
    if type(stream).__module__.startswith("ipykernel"):
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class TablePrintLog(PrintLog):
    """skorch's table of losses per epoch, coloured only on a screen.

    The best values are coloured on a terminal or in a notebook; elsewhere
    the rows hold no escape codes. Whether the output is on a screen is
    decided when training starts. The header is printed above the net's
    first epoch only, so that training continued with ``partial_fit`` or
    ``warm_start`` continues one table.
    """

    def on_epoch_end(self, net, **kwargs):
        self.first_iteration_ = len(net.history) == 1
        super().on_epoch_end(net, **kwargs)

    def initialize(self):
        super().initialize()
        self.colour_ = on_screen()
        return self

    def format_row(self, row, key, color):
        if self.colour_:
            return super().format_row(row, key, color)
        return super().format_row(row, key, "").replace(Ansi.ENDC.value, "")


class StreamProgress:
    """One plain line per chunk and per pass of ``fit_stream``, when ``verbose``.

    Parameters
    ----------
    n_epochs : int
        The number of passes.
    verbose : int
        Nothing is printed when 0.
    """

    def __init__(self, n_epochs, verbose):
        self.n_epochs = n_epochs
        self.verbose = verbose
        self.start = time.perf_counter()

    def _print(self, text):
        if self.verbose:
            print(f"fit_stream: {text} ({time.perf_counter() - self.start:.1f} s)", flush=True)

    def chunk(self, epoch, index, n_rows, rows_so_far, loss):
        """Report a chunk trained on: its pass, number, rows and training loss."""
        shown = "" if loss is None else f", loss {loss:.4g}"
        self._print(
            f"pass {epoch + 1}/{self.n_epochs}, chunk {index}: {n_rows:,} rows"
            f" ({rows_so_far:,} this pass){shown}"
        )

    def end_pass(self, epoch, n_chunks, n_rows):
        """Report a pass completed."""
        self._print(f"pass {epoch + 1}/{self.n_epochs} done: {n_chunks} chunks, {n_rows:,} rows")
