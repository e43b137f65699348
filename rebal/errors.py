"""Every exception of rebal, in one module: the whole error vocabulary.

Every error a user can cause is a :class:`RebalError`; the CLI turns one into one line on
stderr and exit code 2, never a traceback. Messages name the file and field, the value found
and the rule.

The hierarchy::

    RebalError                  anything a user can cause (bad input, missing or unfit data)
    ├── ConfigError             a profile or parameter file is malformed, has unknown keys or bad values
    │   └── ParameterError      a template notebook's parameter is unknown or of the wrong type (one-line output)
    ├── DataError               market or holdings data is missing, stale, malformed or inconsistent
    │   ├── ReturnsError        an allocator's returns are unusable (also a ValueError, as scikit-learn expects)
    │   ├── LakehouseError      a query on the lakehouse file failed (a damaged block, a lock, the disk)
    │   ├── StateError          a Last Implemented State file is missing, corrupted or invalid
    │   ├── ApprovalError       a proposal cannot be approved or executed in its current status
    │   ├── ExecutionError      an order of a batch was rejected; nothing of the batch was applied
    │   └── NoPositiveAlpha     none of the top Risk4 names has a positive alpha z-score
    ├── InfeasibleCaps          position and sector caps cannot hold together (they allow < 100 %)
    ├── ClusterError            the scheduler of ``--scheduler`` is unreachable or its workers cannot see the project
    ├── LLMError                a language-model call failed (connection, timeout, HTTP status, refusal)
    │   └── ViewsRefused        the model's answer broke the views schema (malformed JSON, unknown ticker, ...)
    └── ReportError             a report could not be produced
        └── NotebookFailure     a cell raised while executing a template notebook (which cell, what)
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RebalError", "ConfigError", "ParameterError", "DataError", "ReturnsError", "LakehouseError", "StateError",
           "ApprovalError", "ExecutionError", "NoPositiveAlpha", "InfeasibleCaps", "ClusterError", "LLMError",
           "ViewsRefused", "ReportError", "NotebookFailure"]


class RebalError(Exception):
    """Base class of the errors a user can cause (bad input, missing data)."""


class ConfigError(RebalError):
    """A profile or parameter file is malformed, has unknown keys or invalid values."""


class ParameterError(ConfigError):
    """A template notebook's parameter is unknown or of the wrong type (:mod:`rebal.report.parameters`).

    In a notebook its output is the message first, then the cell's line that raised it, not a traceback
    through the package (IPython's ``_render_traceback_``): the cell that set the parameter is what needs
    the fix, and the weekly run names the line (:func:`rebal.report.execute.failing_line`).
    """

    def _render_traceback_(self) -> list[str]:
        import linecache

        out = [f"{type(self).__name__}: {self}"]
        try:
            from IPython import get_ipython

            ip = get_ipython()
        except ImportError:  # pragma: no cover - only called by IPython
            return out
        if ip is None:  # outside a kernel: the message only
            return out
        tb = self.__traceback__
        while tb is not None and tb.tb_frame.f_globals is not ip.user_ns:
            tb = tb.tb_next
        if tb is not None:  # the notebook cell's own frame
            code = linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno).strip()
            out.append(f"Cell In[{ip.execution_count}], line {tb.tb_lineno}\n----> {tb.tb_lineno} {code}")
        return out


class DataError(RebalError):
    """Market or holdings data is missing, stale, malformed or inconsistent."""


class ReturnsError(DataError, ValueError):
    """The returns given to an allocator are unusable: empty, missing or infinite values, or plainly prices.

    Also a ``ValueError``, the error scikit-learn's estimator checks expect for bad input
    (:mod:`rebal.allocation.base`).
    """


class LakehouseError(DataError):
    """A query on the lakehouse file failed (:mod:`rebal.data.lakehouse`): the message names the file and what to do."""


class StateError(DataError):
    """A state file (:mod:`rebal.monitor.state`) is missing, corrupted or invalid."""


class ApprovalError(DataError):
    """A proposal cannot be approved or executed in its current status (:mod:`rebal.proposal.execution`)."""


class ExecutionError(DataError):
    """An order of a batch was rejected; nothing of the batch was applied (:mod:`rebal.proposal.broker`)."""


class NoPositiveAlpha(DataError):
    """None of the top names has a positive alpha z-score (:mod:`rebal.selection.risk4`)."""


class InfeasibleCaps(RebalError):
    """The position and sector caps cannot be met together (:mod:`rebal.selection.weights`)."""


class ClusterError(RebalError):
    """The Dask scheduler of ``--scheduler`` cannot be reached, has no worker, or a worker cannot see the project."""


class LLMError(RebalError):
    """A language-model call failed: connection, timeout, HTTP status or a refusal (:mod:`rebal.llm`)."""


class ViewsRefused(LLMError):
    """The model's answer broke the views schema and was refused whole (:mod:`rebal.llm.parse`)."""


class ReportError(RebalError):
    """A report could not be produced (a notebook failed, rendering failed)."""


@dataclass(frozen=True)
class NotebookFailure(ReportError):
    """A cell raised while executing a notebook (:mod:`rebal.report.execute`).

    Attributes
    ----------
    notebook
        The template's name (without ``.ipynb``).
    cell_index
        Index of the failing cell, or None when execution failed outside a cell.
    ename, evalue
        The exception's class name and first line of its message.
    source
        The code line of the cell that failed (from the traceback), else the cell's first code line
        (may be empty).
    line
        That line's number in the cell (1-based), when the traceback gives it.
    """

    notebook: str
    cell_index: int | None
    ename: str
    evalue: str
    source: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"cell {self.cell_index}" if self.cell_index is not None else "execution"
        if self.line is not None:
            where += f", line {self.line}"
        if self.source:
            where += f" (`{self.source}`)"
        return f"{self.notebook}: {where} raised {self.ename}: {self.evalue}"
