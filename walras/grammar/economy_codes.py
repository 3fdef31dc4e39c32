"""The economy layer's entries of the code catalogue (`codes.CODES`): E200-E299 and W200-W299,
for mistakes in an economy's assets, agents, capital and portfolio constraints. Each row is
(code, title, meaning, fix, modules that raise it)."""

ECONOMY = "walras.compiler.economy"
ECONOMY_SPEC = "walras.compiler.economy_spec"
ECONOMY_AGENTS = "walras.compiler.economy_agents"
ECONOMY_RANGES = "walras.compiler.economy_ranges"
ECONOMY_JUMPS = "walras.compiler.economy_jumps"
ECONOMY_CAPITAL = "walras.compiler.economy_capital_spec"
ECONOMY_ARRAYS = "walras.compiler.economy_arrays"
ECONOMY_LABOR = "walras.compiler.economy_labor"
ECONOMY_CHAINS = "walras.compiler.economy_chains"

# fmt: off
ECONOMY_ROWS = (
    ("E201", "no usable endowment", "The economy has no endowment, or no asset pays an "
     "endowment as its dividend.", "Declare 'endowment y: ...' and an asset whose dividend is y.",
     (ECONOMY_SPEC,)),
    ("E202", "bad asset", "A riskless asset pays a dividend or is in non-zero supply, or a risky "
     "asset has no dividend.", "Give risky assets a dividend; riskless ones none and supply = 0.",
     (ECONOMY_SPEC,)),
    ("E203", "assets that do not match the risks", "A second riskless asset, two risky assets "
     "paying the same endowment, or risky assets whose dividends do not load on as many "
     "independent shocks as there are risky assets (incomplete markets, not supported yet).",
     "One riskless asset; as many risky assets as independent shocks, each with its own "
     "endowment.", (ECONOMY_SPEC,)),
    ("E204", "bad trades", "An agent trades an undeclared asset, or no asset.",
     "List declared assets: 'trades = [bond, stock]'.", (ECONOMY_AGENTS, ECONOMY_CAPITAL)),
    ("E205", "unknown utility", "An agent's utility is not one walras knows.",
     "Use 'crra(gamma)' or 'log'.", (ECONOMY_AGENTS,)),
    ("E206", "wrong number of utility arguments", "A utility is given the wrong number of "
     "arguments.", "Write 'crra(gamma)' or 'log'.", (ECONOMY_AGENTS,)),
    ("E207", "incomplete agent", "An agent has no utility or no discount rate.",
     "Add 'utility = ...' and 'discount = ...'.",
     (ECONOMY_AGENTS, ECONOMY_CAPITAL, ECONOMY_LABOR)),
    ("E208", "economy cannot clear", "No risky asset, or no agent trades it.",
     "Declare a risky asset and add it to an agent's trades.", (ECONOMY_SPEC,)),
    ("E209", "constraint that cannot apply", "A portfolio constraint names an undeclared agent "
     "or asset, an asset the agent does not trade, or a share the agent holds fixed.",
     "Constrain a declared agent's share of an asset it trades freely.", (ECONOMY_AGENTS,)),
    ("E210", "no riskless asset", "Several agents and no riskless asset to trade with each "
     "other.", "Declare 'asset bond: riskless, supply = 0' and let the agents trade it.",
     (ECONOMY_SPEC, ECONOMY_CAPITAL, ECONOMY_LABOR)),
    ("E211", "unusable endowment process", "An endowment without volatility, or one whose drift "
     "or volatility is not proportional to it (or that is declared as a state among several).",
     "Make drift and volatility proportional to the endowment, or declare it as a state.",
     (ECONOMY_SPEC,)),
    ("E212", "nothing prices the risk", "No agent trades the risky asset without a constraint.",
     "Let one agent trade the riskless and the risky asset freely.", (ECONOMY_SPEC,)),
    ("E213", "name taken by the economy layer", "A declaration uses a name the economy layer "
     "defines ('r', 'pd', ...).", "Rename it.", (ECONOMY,)),
    ("E214", "second portfolio constraint", "An agent's portfolio is constrained twice.",
     "Keep one bound per agent.", (ECONOMY_AGENTS,)),
    ("E215", "dividend not proportional to one endowment", "An asset's dividend is not a "
     "constant times one endowment.", "Write 'dividend = y' (or a multiple of it).",
     (ECONOMY_SPEC,)),
    ("E216", "no agents", "The economy declares no agent.",
     "Declare one: 'agent household: utility = crra(gamma), discount = rho, trades = [...]'.",
     (ECONOMY_SPEC, ECONOMY_CAPITAL, ECONOMY_LABOR)),
    ("E217", "undeclared shock in an endowment", "An endowment's 'vol[Z]' names an undeclared "
     "shock.", "Declare it with 'shock Z'.", (ECONOMY_SPEC,)),
    ("E218", "declared twice in the economy", "An agent, asset or endowment is declared twice.",
     "Remove or rename the second declaration.", (ECONOMY_SPEC,)),
    ("E219", "unsupported with several trees", "With several risky assets: an agent who trades "
     "some of them only, or a portfolio constraint.",
     "Let agents trade all risky assets and the bond, or the bond alone; drop the constraint.",
     (ECONOMY_AGENTS,)),
    ("E220", "risk aversion out of range", "An agent's risk aversion, with the final parameter "
     "values, is zero, negative or not finite: no equilibrium exists (such an agent takes "
     "unbounded positions).", "Give a finite number > 0; crra(1) is log utility.",
     (ECONOMY_RANGES,)),
    ("E221", "discount rate out of range", "An agent's discount rate, with the final parameter "
     "values, is negative or not finite.", "Give a finite rate >= 0, such as 0.05.",
     (ECONOMY_RANGES,)),
    ("E222", "risky asset not in positive supply", "A risky asset's supply is zero, negative "
     "or not finite.", "Write 'supply = 1' (any positive value gives the same results).",
     (ECONOMY_RANGES,)),
    ("E223", "no risk to price", "With the final parameter values a dividend has no volatility, "
     "or the dividends of several trees do not span the shocks: portfolio shares are "
     "undetermined.", "Give each endowment a non-zero volatility of its own.",
     (ECONOMY_RANGES,)),
    ("E224", "infinite price", "The one agent's consumption-wealth ratio (rho with log utility; "
     "rho + (gamma - 1)(mu - gamma sigma^2/2) with CRRA utility and one tree) is not positive, "
     "so the price-dividend ratio is infinite.",
     "Raise the discount rate, or lower the endowment's growth.", (ECONOMY_RANGES,)),
    ("E225", "economy value not a constant", "A risk aversion, discount rate or supply names "
     "something other than parameters; the equilibrium conditions treat it as a constant.",
     "Write a number or an expression of parameters.", (ECONOMY_RANGES,)),
    ("E226", "share outside [0, 1]", "A declared domain of a wealth share (eta_AGENT) or a "
     "dividend share (s_ASSET) reaches below 0 or above 1, where a wealth or a dividend is "
     "negative.", "Declare a domain within [0, 1].", (ECONOMY_RANGES,)),
    ("E227", "dividend not a positive multiple", "A risky asset's dividend is zero, a negative "
     "or a non-finite multiple of its endowment.", "Write 'dividend = y' for the endowment y.",
     (ECONOMY_RANGES,)),
    ("E228", "jumps the economy layer cannot derive", "An endowment has a 'jump[N]' term in an "
     "economy where the wealth shares would jump (a restricted portfolio, several risk "
     "aversions), with several trees, or with the endowment declared as a state; the layer "
     "derives jumps where every agent trades both assets freely with one risk aversion.",
     "Write the model at the equation level, where 'drift' includes the jump terms "
     "(lucas_disasters).", (ECONOMY_JUMPS,)),
    ("E229", "endowment jump out of range", "At a Poisson arrival the endowment would fall to "
     "zero or below (a relative jump of -1 or less), or become infinite.",
     "Write 'jump[N] = -b*y' with 0 < b < 1.", (ECONOMY_RANGES,)),
    ("E230", "production economy not supported yet", "A production economy (one with a "
     "'capital' statement) uses what its derivation does not cover yet: a second capital "
     "stock, capital loading on several shocks, an endowment, a risky asset that is not a "
     "claim on capital, a portfolio constraint, more than two agents, or utility other than "
     "log; with output from capital and labor, a second agent holding capital.",
     "Keep to one capital stock on one Brownian shock and up to two log agents, or "
     "write the model at the equation level (brusan_log).", (ECONOMY_CAPITAL,)),
    ("E231", "incomplete capital stock", "A capital stock has no investment technology, one "
     "that is not a function of 'iota' (the investment rate) and parameters, no volatility, a "
     "volatility not proportional to capital, or one on an undeclared Brownian shock.",
     "Write 'capital k: investment = log(phi*iota + 1)/phi, depreciation = delta, "
     "vol[Z] = sigma*k'.", (ECONOMY_CAPITAL,)),
    ("E232", "investment rate not derivable", "Tobin's q sets investment by Phi'(iota)*q = 1, "
     "and for this technology sympy finds no solution in closed form, or several.",
     "Use a concave technology whose marginal product inverts in closed form, such as "
     "'log(phi*iota + 1)/phi' or '(sqrt(1 + 2*kappa*iota) - 1)/kappa'.", (ECONOMY_CAPITAL,)),
    ("E233", "capital holdings that cannot apply", "An agent holds capital without a "
     "productivity, or has a productivity or depreciation without holding capital; an asset "
     "claims undeclared capital, or is a claim on capital with a dividend; no asset is a "
     "claim on capital, or no agent holds it; production fields without a 'capital' "
     "statement.", "Give every holder 'productivity = a' and list the claim in its trades; "
     "declare 'asset claim: capital = k, supply = 1'.",
     (ECONOMY, ECONOMY_CAPITAL, ECONOMY_LABOR)),
    ("E234", "agent array size out of range", "An agent array's size or bounds ('[10]', "
     "'[i in 1:10]') are not whole numbers written out, the last is below the first, or the "
     "array has more than 1000 members.", "Write '[10]' or '[i in 1:10]' with numbers; the "
     "number of agents is fixed when the model is compiled.", (ECONOMY_ARRAYS,)),
    ("E235", "agent array index clashes", "The index of an agent array ('i' in "
     "'[i in 1:10]') is a name the model declares (a parameter, state, shock, unknown or let).",
     "Name the index otherwise.", (ECONOMY_ARRAYS,)),
    ("E236", "output from capital and labor that cannot apply", "A capital stock's 'output' "
     "is not a function of capital and 'labor' with constant returns to scale, capital has no "
     "declared domain (it is a state once output is not proportional to it), no agent supplies "
     "labor, an agent has its own productivity beside 'output' (or a depreciation without "
     "holding capital), or an agent supplies labor that no 'output' uses.",
     "Write 'output = z*k^alpha*labor^(1 - alpha)' on the capital stock, "
     "'labor = ell' on the agent, and 'state k in [lo, hi]'.", (ECONOMY_LABOR, ECONOMY_CAPITAL)),
    ("E237", "labor chain that cannot apply", "A 'chain' has fewer than two values, a "
     "'rate[i, j]' whose positions are not among its values, equal, or declared twice, no "
     "agent whose 'labor' names it, or no capital stock whose 'output' uses labor.",
     "Write 'chain ell: values = [ell_low, ell_high], rate[1, 2] = up, rate[2, 1] = down' and "
     "'labor = ell' on the agents, beside 'output = z*k^alpha*labor^(1 - alpha)'.",
     (ECONOMY_CHAINS,)),
    ("E238", "too many labor states", "Every agent with a labor chain follows its own copy, so "
     "the economy has the product of the chains' numbers of values as discrete states, one "
     "collocation expansion each; above 16 the layer pools the bond-only members of an agent "
     "array with one two-state chain (the number at its second value), and refuses what is "
     "still above 16.", "Give fewer agents a chain, fewer values to the chain, or make the "
     "agents members of one array.", (ECONOMY_CHAINS,)),
    ("W220", "supply value ignored", "A risky asset's supply is positive and not 1; the results "
     "are ratios and do not depend on it (a warning).", "Write 'supply = 1'.",
     (ECONOMY_RANGES,)),
    ("W221", "infinite price where one agent holds all wealth", "Where the wealth share of an "
     "agent reaches one, that agent alone prices the dividends, and its consumption-wealth "
     "ratio (as for E224) is not positive: the price-dividend ratio grows without bound near "
     "that edge (a warning).",
     "Raise that agent's discount rate, or keep its wealth share away from one with a "
     "'state' domain.", (ECONOMY_RANGES,)),
    ("W223", "bound that rules out the market portfolio", "Where an agent holds all the "
     "wealth, clearing the stock market makes it hold the stock with all of it (a share of "
     "1); a constraint 'share(stock) <= cap' with cap < 1 (or '>= floor' with floor > 1) rules "
     "that out, and near that edge the other agents would have to hold an unbounded share of "
     "their vanishing wealth in the stock (a warning: the solvers find no solution there).",
     "Give a bound that admits 1.",
     (ECONOMY_RANGES,)),
    ("W222", "wealth shares truncated", "With more than two agents the wealth shares lie on the "
     "simplex; a declared domain of one of them puts them on a box inside it, and where the box "
     "cuts the simplex the equations are those of another economy unless a condition is given "
     "there (a warning).", "Drop the 'state' line, or give a boundary condition at the cut.",
     (ECONOMY_RANGES,)),
)
# fmt: on
