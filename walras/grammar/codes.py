"""The catalogue of diagnostic codes: what each code means and how to fix it.

Every `Diagnostic("E...")`, `error[E...]` message and factor-path `fail("F...")` uses a code from
`CODES`. `E` is an error, `W` a warning, `F` an error of the factor-model path. Ranges:

- E001-E099: syntax.                      - E100-E129: checks of a model.
- E130-E139: command line and files.      - E140-E149: solvers.
- E150-E159: results (compare, evaluate). - E160-E169: controls and HJBs.
- E170-E171: files; E172-E179: checks.    - E180-E189: output safety and checkpoints.
- E200-E299: economies.                   - F001-F099: factor-model specifications.
- F100-F199: factor-model data and estimation.

One code, one mistake. Each entry lists the modules that raise it (`raised_in`);
tests/test_codes.py fails when a code is raised from a module its entry does not list, or when a
listed module does not raise it. Before raising an existing code from another module, read its
meaning: the same mistake adds the module to `raised_in`, a different one takes a new code.

The economy layer's entries are in `economy_codes`, the factor path's in `factor_codes`.
docs/errors.md is generated from all three:
`python -m walras.grammar.codes > docs/errors.md`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .economy_codes import ECONOMY, ECONOMY_JUMPS, ECONOMY_ROWS
from .factor_codes import FACTOR_ROWS


@dataclass(frozen=True)
class Code:
    """One diagnostic code: a short title, what it means, how to fix it, and who raises it."""

    code: str
    title: str
    meaning: str
    fix: str
    raised_in: tuple[str, ...]


PARSER = "walras.grammar.parser"
SYNTAX = "walras.grammar.syntax_errors"
ECONOMY_PARSER = "walras.grammar.economy_builder"
DEVICES = "walras.runtime.devices"
FILES = "walras.grammar.files"
CHECKS = "walras.compiler.checks"
DECLARATIONS = "walras.compiler.checks.declarations"
STATEMENTS = "walras.compiler.checks.statements"
COVERAGE = "walras.compiler.checks.coverage"
EDGES = "walras.compiler.checks.edges"
JUMPS = "walras.compiler.checks.jumps"
GUESSES = "walras.compiler.checks.guesses"
SYMBOLIC = "walras.compiler.symbolic"
API = "walras.api"
MODELS = "walras.models"
CLI = "walras.cli"
COMPARISON = "walras.cli.comparison"
SIMULATION = "walras.cli.simulation"
REGISTRY = "walras.runtime.solvers.registry"
SOLVERS = "walras.runtime.solvers"
CONTROLS = "walras.compiler.controls"
CONTROL_CHECKS = "walras.compiler.checks.controls"
CONSTRAINTS = "walras.compiler.constraints"
CONTINUATION = "walras.runtime.solvers.continuation"
NEURAL = "walras.runtime.solvers.neural.driver"
POINTS = "walras.runtime.points"
PLAUSIBLE = "walras.runtime.plausible"
IDENTIFICATION = "walras.runtime.factors.identification"

# The table keeps one entry to a few lines, so the formatter leaves it as it is.
# fmt: off
_TABLE = (
    # syntax
    ("E001", "unexpected token", "The parser met a word or symbol it does not allow here.",
     "Look at the caret: the message lists what may come next.", (SYNTAX,)),
    ("E002", "unexpected character", "A character that is no part of the language, such as "
     "a Greek letter in a name.",
     "Remove it; comments start with '#'; spell Greek letters out ('gamma').", (SYNTAX,)),
    ("E003", "unexpected end of file", "The file ends inside a statement.",
     "Complete the last statement.", (SYNTAX,)),
    ("E010", "two drifts", "A process statement gives its state more than one drift.",
     "Keep one 'drift = ...'.", (PARSER,)),
    ("E011", "mixed comparisons in 'perp'", "The two sides of a complementarity compare in "
     "different directions.", "Write the same comparison on both sides: 'A >= B perp f >= c'.",
     (PARSER,)),
    ("E012", "unknown constraint function", "A portfolio constraint bounds something other "
     "than 'share(asset)'.", "Bound 'share(asset)', the share of wealth in the asset.",
     (ECONOMY_PARSER,)),
    ("E013", "not a maximisation", "An equation's right side is written 'f(c): ...' with a "
     "function other than 'max'.", "An HJB maximises over its controls: "
     "'rho*V = max(c): u(c) + drift(V)'.", (PARSER,)),
    # checks of a model
    ("E100", "no model", "The file declares no model.", "Start it with 'model NAME \"title\"'.",
     (CHECKS,)),
    ("E101", "undeclared name", "An expression uses a name that is not declared.",
     "Declare it, or correct the spelling (the hint suggests a close name).", (DECLARATIONS,)),
    ("E102", "declared twice", "A name, equation, process, guess or model statement is declared a "
     "second time.", "Remove or rename the second declaration.",
     (CHECKS, DECLARATIONS, STATEMENTS, GUESSES)),
    ("E103", "bad arguments of an unknown", "An unknown depends on something other than states, "
     "or lists a state twice.", "List each state it depends on once.", (DECLARATIONS,)),
    ("E104", "process for a non-state", "A process is given for a name that is not a declared "
     "state.", "Declare the state with 'state x in [lo, hi]', or correct the name.",
     (DECLARATIONS,)),
    ("E105", "undeclared shock in a process", "'vol[Z]' or 'jump[N]' names a shock that is "
     "not declared.",
     "Declare it with 'shock Z'.", (DECLARATIONS, JUMPS)),
    ("E106", "state without a process", "A state has no drift and volatility.",
     "Add 'process x: drift = ..., vol[Z] = ...'.", (DECLARATIONS,)),
    ("E107", "equations and unknowns differ in number", "Each unknown function needs exactly "
     "one equation.", "Add or remove equations; a complementarity counts as one.", (STATEMENTS,)),
    ("W108", "unused parameter", "A parameter is declared and never used (a warning).",
     "Use it or remove it.", (STATEMENTS,)),
    ("E109", "nonlinear cycle of definitions", "Definitions depend on each other in a cycle in "
     "which a member does not enter linearly.",
     "Break the cycle, or write it so each member enters linearly.", (SYMBOLIC,)),
    ("E110", "wrong number of arguments", "A built-in function is called with the wrong number "
     "of arguments, or named without a call.", "Call it as the message shows.",
     (STATEMENTS, GUESSES)),
    ("E111", "unknown function", "A call to a name that is not a built-in function (unknowns "
     "are not called: they are functions of their states already).",
     "Use a built-in function, or write the unknown without arguments.", (STATEMENTS,)),
    ("E112", "misplaced boundary", "A boundary condition is not at an edge of a state's domain "
     "(its position, a number or an expression of parameters, is neither bound of the state's "
     "range), or is at something that is not a state.",
     "Write it at a state's lower or upper bound, as the state's range writes it.", (STATEMENTS,)),
    ("E113", "'d' of a non-state", "A derivative 'd(f, x)' is taken along something that is not "
     "a state.", "Differentiate along states only.", (STATEMENTS,)),
    ("E114", "misused shock", "A shock appears elsewhere than as the second argument of 'vol', "
     "or that argument is not a shock.", "Write 'vol(f, Z)' with a declared shock Z.",
     (STATEMENTS,)),
    ("E115", "bad solver setting", "A solver setting is unknown or has a value it does not take.",
     "Correct the name or value (the hint lists close names and the choices).",
     (API, STATEMENTS, REGISTRY)),
    ("E116", "bad weight", "A 'weight' names no equation or boundary, or is not a number.",
     "Name an equation or boundary of the model and give a number.", (STATEMENTS,)),
    ("E117", "expression the compiler cannot expand", "Ito's lemma cannot be applied: a drift of "
     "a drift, a state's volatility that depends on a drift, or a derivative of a control "
     "solved per point by Newton's method.",
     "Rewrite the expression without the nested operator.", (SYMBOLIC,)),
    ("E118", "guess for a non-unknown", "A 'guess' names something that is not a declared "
     "unknown.", "Name an unknown of the model (the hint lists them).", (GUESSES,)),
    ("E119", "reserved name", "A declaration takes the name of a built-in function or of an "
     "operator ('d', 'drift', ...), or contains '__' (its uses raise no further errors).",
     "Rename it, for instance with a trailing '_'.", (DECLARATIONS,)),
    ("E120", "not a constant", "A domain bound, bound, boundary position, weight or setting "
     "must be a number or an expression of parameters, and is not, or cannot be evaluated.",
     "Use numbers and parameters only, and keep the arithmetic defined.", (DECLARATIONS,)),
    ("E121", "no such parameter to set", "An override (--set, or a keyword of load) names no "
     "parameter of the model.", "Set a declared parameter (the hint lists them).", (DECLARATIONS,)),
    ("E122", "empty domain", "A state's lower bound is not below its upper bound.",
     "Write the lower bound first.", (DECLARATIONS,)),
    ("E123", "bad homotopy", "The homotopy setting is not NAME=VALUE for a model parameter.",
     "Name a parameter of the model: 'homotopy = \"gamma=1\"' or --homotopy gamma=1.",
     (CONTINUATION,)),
    ("E124", "Poisson shock used as a Brownian one", "A Poisson shock appears in 'vol[...]' or "
     "in 'vol(f, N)': it moves states by jumps and has no volatility.",
     "Write 'jump[N] = ...' in the process, and 'jump(f, N)' or 'rate(N)' in expressions.",
     (DECLARATIONS, JUMPS, ECONOMY_JUMPS)),
    ("E125", "Brownian shock used as a Poisson one", "A Brownian shock (or a name that is no "
     "shock) appears in 'jump[...]', 'jump(f, Z)' or 'rate(Z)'.",
     "Use 'vol[Z]' and 'vol(f, Z)' for it, or declare 'shock N: poisson, rate = ...'.",
     (JUMPS, ECONOMY_JUMPS)),
    ("E126", "discrete state jumps off its values", "Somewhere a Poisson shock arrives at a "
     "positive rate, a jump would take a discrete state to a value not in its set.",
     "Make the rate zero where the jump leads off the values, with an indicator such as "
     "'(s < 2)'.", (JUMPS,)),
    ("E127", "discrete state used as a continuous one", "A discrete state has a drift or a "
     "volatility, is differentiated with 'd', holds a boundary condition, lists a value twice or "
     "has one value only.",
     "A discrete state moves by jumps only; compare values across it with 'jump(f, N)' or an "
     "indicator '(s == v)'.", (STATEMENTS, JUMPS)),
    ("E128", "unsupported 'beyond' statement", "A 'beyond' statement names no continuous state, "
     "not its edge, or an extension other than the constant one.",
     "Write 'beyond x < lo: d(f, x) = 0' (or 'beyond x > hi: ...') for an unknown f of x.",
     (JUMPS,)),
    ("E129", "name a guess cannot use", "A guess uses an unknown, a shock, an operator (d, "
     "drift, vol, jump, rate), a state its unknown does not depend on, or a definition that uses "
     "one of these: a guess is evaluated before anything is solved.",
     "Write it in numbers, parameters, the unknown's states and definitions of those.",
     (GUESSES,)),
    # controls and HJBs
    ("E160", "control never maximised", "A control is declared and no equation maximises over "
     "it.", "Choose it in an HJB: 'equation hjb: rho*V = max(c): ...', or remove it.",
     (CONTROL_CHECKS,)),
    ("E161", "maximum over a non-control", "'max(...)' names something that is not a declared "
     "control (a state, an unknown, an expression), or a control already chosen in another "
     "equation.", "Declare the variable to choose with 'control NAME' and maximise over it in "
     "one equation.", (CONTROL_CHECKS,)),
    ("E162", "maximand not strictly concave", "The right side of an HJB does not depend on a "
     "control, or is linear or convex in it (decided with the parameters' values): it has no "
     "interior maximum.", "Make the maximand strictly concave in each control (a utility of "
     "consumption, a convex adjustment cost).", (CONTROLS,)),
    ("E163", "first-order conditions not solved", "sympy finds no solution of the first-order "
     "conditions (or several it cannot choose between, or one walras cannot write out), or the "
     "maximand has a kink in a control (abs, min, max of it).",
     "Write the maximand so that its first-order conditions solve in closed form, and declare "
     "a bound such as 'control c > 0' that picks the root.", (CONTROLS,)),
    ("E164", "bad bounds of a control", "A control's bounds leave it no room, or bound controls "
     "that an HJB chooses jointly and that interact in its maximand (a declared bound, or a "
     "state constraint's at its face).",
     "Write the lower bound first; bound only controls that enter the maximand separately.",
     (CONTROL_CHECKS, CONTROLS, CONSTRAINTS)),
    ("E165", "control hidden inside an operator", "A state's volatility or jump depends on a "
     "control and the maximand applies 'drift' or 'vol' to an unknown: the second-order term "
     "hides the control from the first-order condition.", "Write the maximand's second-order "
     "terms with 'd(V, x, x)' and the control in their coefficients.", (CONTROLS,)),
    ("E166", "bad state constraint", "A boundary with a comparison is a state constraint, "
     "'drift(x) >= 0' at the lower edge of x or 'drift(x) <= 0' at the upper one, and it is the "
     "only condition on its face; this one has another form, points the wrong way, or shares "
     "its face with another condition.", "Write 'boundary at a = a_min: drift(a) >= 0' (or "
     "'<= 0' at an upper edge) and drop any other condition on that face.", (STATEMENTS,)),
    ("E167", "state constraint without a control to bound", "At a state constraint the HJB is "
     "maximised subject to the drift pointing inward, which walras writes as a bound on one "
     "control: the state needs a drift that at the face is linear in exactly one control chosen "
     "by a 'max' HJB, with a slope of known sign.", "Give the state a drift such as "
     "'r*a + z - c' with 'c' a control of 'equation hjb: rho*V = max(c): ...'.",
     (CONSTRAINTS,)),
    # command line and files
    ("E130", "no such model", "No file and no bundled model has this name.",
     "Give a path to an .econ file or a library model's name.", (MODELS,)),
    ("E131", "bad NAME=VALUE option", "An option such as --set or --solver is not NAME=VALUE "
     "(with a number where one is expected).", "Write it as NAME=VALUE.", (CLI,)),
    ("E132", "unknown emit target", "--emit names no output kind.",
     "Choose one of the kinds the message lists.", (API,)),
    ("E133", "cannot plot", "A results file cannot be read or plotted.",
     "Pass a NetCDF file written by 'walras solve -o'.", (CLI,)),
    ("E134", "cannot read a results file", "A results file given to compare cannot be opened.",
     "Pass a NetCDF file written by 'walras solve -o'.", (COMPARISON, SIMULATION)),
    ("E135", "cannot write the results", "The output file cannot be written.",
     "Check the path and the permissions of its folder.", (CLI, "walras.cli.factors", SIMULATION)),
    ("E136", "bad simulation option", "An option of simulate, moments or irf is out of range: "
     "a number of paths, years or a step that is not positive, an edge or scheme that does not "
     "exist, a start outside the domain, a lag longer than the paths, cells per state out of "
     "range, or paths that would take over half the machine's memory.",
     "Give the option a value in range; the message says which.", (SIMULATION,)),
    ("E137", "no stationary distribution", "The forward equation finds no stationary density: "
     "mass piles at an edge of the domain, or the domain splits into parts the states never "
     "cross between.", "Simulate paths instead (walras simulate), or change the parameters so "
     "that the states return from the edges.", (SIMULATION,)),
    ("E138", "bad parametric range", "A parameter to solve over a range (--over NAME=LO:HI, "
     "solve(over=...), or a calibration's [parameters]) names no parameter of the model, or its "
     "range is empty or not finite.", "Name a parameter of the model and give LO < HI.",
     ("walras.compiler.parametric", CLI)),
    ("E139", "bad calibration targets", "The targets file of 'walras calibrate' is missing, "
     "is not valid TOML, or names an output, a state or a parameter the model does not have, "
     "or gives a value that is not a number.",
     "Fix the file at the place shown; docs/simulation.md describes its tables.",
     ("walras.runtime.calibrate",)),
    ("E170", "not UTF-8 text", "A model file holds bytes that are not UTF-8 (another encoding, "
     "or not a text file).", "Save the file as UTF-8, or give the right file.", (FILES,)),
    ("E171", "cannot read a model file", "The path names a folder, or a file that cannot be "
     "read.", "Give the path of an .econ file (a library model's name alone also works when a "
     "folder of that name is here).", (FILES, MODELS)),
    # checks of a model (continued)
    ("E172", "not a finite number", "A number in the file, a parameter's value or an override "
     "(--set, with_params) is infinite or not a number, or arithmetic on parameters overflows.",
     "Give finite values (below about 1e308).", (DECLARATIONS, ECONOMY)),
    ("E173", "bounds of an unknown reversed", "An unknown's bounds 'in [lo, hi]' have lo at or "
     "above hi.", "Write the lower bound first, below the upper one.", (DECLARATIONS,)),
    ("E174", "no unknowns", "The model declares no unknown function to solve for.",
     "Declare the unknowns ('unknown pd(y) > 0') and one equation for each.", (COVERAGE,)),
    ("E175", "unknown in no equation", "No equation involves this unknown, directly or through "
     "definitions.", "Use it in an equation, or remove it.", (COVERAGE,)),
    ("E176", "equation without unknowns", "An equation involves no unknown, directly, through "
     "definitions or through process terms.",
     "Write it as a 'parameter' or 'let', or involve the unknown it should determine.",
     (COVERAGE,)),
    ("E177", "expression nested too deeply", "An expression alternates operations or calls "
     "more than 200 levels deep (a chain of sums, or of products, counts as one level), more "
     "than the symbolic stage can take.", "Split it into 'let' definitions.", (STATEMENTS,)),
    ("W178", "jump leaves the domain", "At some point where a Poisson shock arrives at a "
     "positive rate, its jump takes a continuous state that an unknown depends on outside its "
     "domain; the unknowns are held at their value at the edge there.", "Say so with "
     "'beyond x < lo: d(f, x) = 0' (which is the same extension), or widen the domain.",
     (JUMPS,)),
    ("W170", "edge without a needed boundary condition", "At this edge of a state's domain the "
     "volatility is not zero or Fichera's drift, the drift less half the derivative of the "
     "variance, points out of the domain (Fichera's condition), and no boundary condition is "
     "given: the equations do not determine the solution, and a solve reports 'not converged'.",
     "Add a boundary condition at the edge, or move the edge to where the volatility vanishes "
     "and Fichera's drift does not point out.", (EDGES,)),
    # solvers
    ("E140", "cannot resume from a checkpoint", "The checkpoint was written for another "
     "model or network (other settings).",
     "Resume with the settings of the interrupted run, or start afresh without --resume.",
     (NEURAL,)),
    ("E141", "bad device count", "--devices, solve(devices=...) or WALRAS_DEVICES asks for "
     "more devices than the default backend has, for fewer than one, or is not a number.",
     "Ask for 1 to the number of devices available (all, when left out).", (DEVICES,)),
    ("E142", "bad WALRAS_DISTRIBUTED", "The variable that joins the processes of a multi-host "
     "run is neither 'auto' nor HOST:PORT,PROCESSES,ID.", "Set it to 'auto' under SLURM or Open "
     "MPI, or name the coordinator, the number of processes and this one's id (from 0).",
     (DEVICES,)),
    ("E143", "out of memory", "The solve asked for more memory than the machine has (XLA's "
     "RESOURCE_EXHAUSTED, or Python's MemoryError): its system is too large at these settings.",
     "Lower the degree (--degree) or the points (--solver points=..., polish_points=...), or use "
     "the neural solver (--method neural) for many states.", (SOLVERS,)),
    # command line (reserved range)
    ("E150", "cannot compare two results", "The two results have no variable on a "
     "common state grid.",
     "Compare results of the same model, or of models with the same states and unknowns.",
     (COMPARISON,)),
    # output safety
    ("E180", "would write over another file", "An output (results or a checkpoint) names a "
     "folder or an existing file of another kind, such as the model itself, a checkpoint or "
     "data, or the results file a command reads; writing would lose it.",
     "Choose another output name: results are NetCDF files, usually NAME.nc.",
     ("walras.runtime.output", SIMULATION)),
    ("E181", "damaged checkpoint", "The checkpoint to resume from is cut short or not a "
     "checkpoint at all.", "Start afresh without --resume; the new run writes a new checkpoint.",
     ("walras.runtime.solvers.neural.checkpoint",)),
    ("E182", "nothing to resume", "--resume was given but there is no checkpoint: no -o, or no "
     "NAME.ckpt beside the results.", "Pass the -o of the run to continue, or drop --resume.",
     (NEURAL,)),
    ("E183", "results named as their checkpoint", "-o names a .ckpt file, where the neural "
     "solver keeps its training state.", "Give the results a .nc name.", (CLI,)),
    ("W156", "results solved at different parameters", "The two results compared were solved "
     "at different parameter values, so their differences are expected, not errors (a "
     "warning).", "Nothing to fix when that is the point; the message lists each parameter with "
     "both values.", (COMPARISON,)),
    ("W157", "results of different models", "The two results compared are of different models "
     "(a warning).", "Compare results of the same model, unless the models share states and "
     "unknowns on purpose.", (COMPARISON,)),
    ("E158", "not the result of a solve", "A file given to compare is NetCDF but holds no "
     "unknown or definition marked by its role: it was not written by 'walras solve', or it "
     "holds the estimates of a factor model.", "Pass NetCDF files written by 'walras solve -o' "
     "or Solution.save.", (COMPARISON, SIMULATION)),
    ("E155", "points of the wrong shape", "Solution.evaluate was given points it cannot read as "
     "points of the model's states: another number of columns, more than two dimensions, no "
     "points, or values that are not numbers.", "Pass an (n, states) array, a mapping state -> "
     "1-D array, or with one state a 1-D array; the message lists the states in order.",
     (POINTS,)),
    ("E156", "points not finite", "A point given to Solution.evaluate has a NaN or infinite "
     "coordinate.", "Drop those points before evaluating.", (POINTS,)),
    ("E157", "points by unknown states", "A mapping given to Solution.evaluate names something "
     "that is not a state, or gives no values for a state.", "Give one 1-D array of values "
     "per state, named as the model declares them.", (POINTS,)),
    ("W155", "points outside the domain", "Some points given to Solution.evaluate lie outside "
     "the domain the model was solved on: the solution there is an extrapolation, so its values "
     "are NaN (a warning).", "Evaluate inside the domain, or pass extrapolate=True to keep the "
     "extrapolated values.", (POINTS,)),
    ("W184", "points below a cut edge", "Some points given to Solution.evaluate lie below the "
     "cut a solver made at a zero edge of a state (where the equations are singular): the "
     "solution was solved, and its error estimated, above the cut only, so its values there are "
     "NaN (a warning; the results grid is NaN there too, and its attribute cut_<state> says "
     "where the results start).", "Evaluate above the cut, solve with a lower cut (the setting "
     "edge), or pass extrapolate=True to keep the expansions' power-law continuation, whose "
     "error nothing measured.", (POINTS,)),
    ("W158", "values not finite or absurd", "Results (Solution.evaluate or .dataset, the tables "
     "a simulation interpolates, simulated paths, stationary moments) hold values that are NaN, "
     "infinite or larger in size than 1e100 at points of the domain: no economy has them (a "
     "warning; the results carry the attribute implausible_values).", "Look at the model's "
     "formulas at the point the message names (a division by zero, a power of a negative "
     "number); if they are finite there, report it with the versions of walras, jax and jaxlib.",
     (PLAUSIBLE,)),
    ("E159", "linearly dependent data", "A factor of a factor model is constant or a linear "
     "combination of the others (its betas are not identified), or a return is one of the "
     "factors and the other returns (the residual covariance is singular).",
     "Drop the column the message names, or correct its values.", (IDENTIFICATION,)),
)
# fmt: on

CODES: dict[str, Code] = {row[0]: Code(*row) for row in _TABLE + ECONOMY_ROWS + FACTOR_ROWS}

SECTIONS = (  # (title, first letters, number ranges)
    ("Syntax", "EW", ((0, 99),)),
    ("Checks of a model", "EW", ((100, 129), (172, 179))),
    ("Command line and files", "EW", ((130, 139), (150, 159), (170, 171), (180, 189))),
    ("Solvers", "EW", ((140, 149),)),
    ("Expressions", "EW", ((160, 169),)),
    ("Economies", "EW", ((200, 299),)),
    ("Factor-model specifications", "F", ((0, 99),)),
    ("Factor-model data and estimation", "F", ((100, 199),)),
)


def section(code: str) -> str:
    """The title of the section a code belongs to."""
    number = int(code[1:])
    for title, letters, ranges in SECTIONS:
        if code[0] in letters and any(lo <= number <= hi for lo, hi in ranges):
            return title
    raise ValueError(f"{code} is in no section of the catalogue")


def markdown() -> str:
    """docs/errors.md: one table per section, codes in order."""
    out = [
        "# Error codes",
        "",
        "<!-- generated by `python -m walras.grammar.codes > docs/errors.md`: edit "
        "walras/grammar/codes.py, not this file -->",
        "",
        "Every message walras reports carries a code: `E` an error, `W` a warning, `F` an error "
        "of the factor-model path. The message says where; this table says what the code "
        "means and how to fix it.",
        "",
    ]
    for title, _, _ in SECTIONS:
        rows = [c for c in CODES.values() if section(c.code) == title]
        if not rows:
            continue
        out += [f"## {title}", "", "| code | title | what it means | how to fix |"]
        out.append("|---|---|---|---|")
        out += [
            f"| {c.code} | {_cell(c.title)} | {_cell(c.meaning)} | {_cell(c.fix)} |"
            for c in sorted(rows, key=lambda c: (c.code[1:], c.code))
        ]
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


if __name__ == "__main__":
    print(markdown(), end="")
