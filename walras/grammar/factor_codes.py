"""The factor-model path's entries of the code catalogue (`codes.CODES`): F001-F099 for
specifications, F100-F199 for data and estimation. Each row is (code, title, meaning, fix,
modules that raise it)."""

FACTOR_SPEC = "walras.compiler.factors"
FACTOR_OPTIONS = "walras.compiler.factor_options"
FACTOR_API = "walras.runtime.factors.api"
FACTOR_DATA = "walras.runtime.factors.data"
LATENT = "walras.runtime.factors.latent"
NTK = "walras.runtime.factors.ntk"

# fmt: off
FACTOR_ROWS = (
    # factor-model specifications
    ("F001", "statement outside a factor model", "A factor-model statement comes before any "
     "'factor_model'.", "Start the block with 'factor_model NAME \"title\"'.", (FACTOR_SPEC,)),
    ("F002", "factor model defined twice", "Two blocks have the same name.",
     "Rename one.", (FACTOR_SPEC,)),
    ("F003", "repeated statement", "A block has a second statement of the same kind.",
     "Merge them into one statement.", (FACTOR_SPEC,)),
    ("F004", "missing statement", "A block lacks its data, returns, factors or estimate "
     "statement.", "Add the statement the message names.", (FACTOR_SPEC,)),
    ("F005", "unknown estimator", "An estimator name is unknown, or an override names one the "
     "model does not use.", "Use an estimator the hint lists.", (FACTOR_SPEC,)),
    ("F006", "bad option", "An option is unknown, given twice, or has a value of the wrong kind.",
     "Use the options and values the hint lists.", (FACTOR_SPEC, FACTOR_OPTIONS)),
    ("F007", "unknown factor option", "A flag after 'factors' is unknown.",
     "Use a flag the hint lists.", (FACTOR_SPEC,)),
    ("F008", "unknown loading model", "'loadings' names an unknown model.",
     "Use 'linear', 'attention' or 'autoencoder'.", (FACTOR_SPEC,)),
    ("F009", "bad split", "A split is unknown, lacks 'train < DATE', ends validation before "
     "training, or is given to estimators that use every period (observed factors).",
     "Write 'split train < DATE, valid < LATER_DATE', for latent-factor estimators.",
     (FACTOR_SPEC,)),
    ("F010", "bad data source", "An unknown dataset, a layout without a file, or a bundled "
     "dataset read as a panel.", "Name a bundled dataset, or 'panel \"file\"' / 'wide \"file\"'.",
     (FACTOR_SPEC,)),
    ("F011", "name given twice", "A column is named twice among the "
     "returns, factors and instruments.",
     "Name each once.", (FACTOR_SPEC,)),
    ("F012", "panel with several return columns", "A panel has one column of returns.",
     "Write 'returns COLUMN'.", (FACTOR_SPEC,)),
    ("F013", "estimator does not fit the model", "An estimator needs observed or latent factors, "
     "a panel, instruments or loadings the block does not have.",
     "Follow the hint, or choose an estimator for this kind of model.", (FACTOR_SPEC,)),
    ("F014", "bad window", "A rolling window without a length, an optimal window without "
     "'sigma_l' and 'sigma_lambda', or a window on latent factors.",
     "Write 'window length = N' or 'length = optimal, sigma_l = ..., sigma_lambda = ...'.",
     (FACTOR_SPEC,)),
    # factor-model data and estimation
    ("F100", "no such factor model", "The file has no factor_model block, or none of this name.",
     "Name a block the file defines (the hint lists them).", (FACTOR_API,)),
    ("F101", "no data given", "The block reads its data from Python and none was passed.",
     "Pass data=... to estimate.", (FACTOR_DATA,)),
    ("F102", "cannot read the data", "The data file does not exist, cannot be read, or has a "
     "format walras cannot tell; or data passed from Python are of a kind walras does not read.",
     "Check the path; name it .csv, .parquet or .nc, or write "
     "'format = csv'.", (FACTOR_DATA,)),
    ("F103", "missing column", "A column the block names is not in the data.",
     "Correct the name (the hint lists close names) or set 'time =' / 'entity ='.",
     (FACTOR_DATA,)),
    ("F104", "not a number or not a date", "A value of a numeric column is not a number, or one "
     "of the time column is not a date.", "Clean the value the message shows.", (FACTOR_DATA,)),
    ("F105", "duplicated or misaligned dates", "A date repeats (per entity in a panel), or frames "
     "passed together have different dates.", "Keep one row per date and align the frames.",
     (FACTOR_DATA,)),
    ("F106", "no observed cell", "No (entity, date) has a return and every characteristic, or "
     "no row of wide data has a value in every column the block uses.",
     "Check the lag and the missing values of the characteristics, or of the columns the "
     "message names.", (FACTOR_DATA,)),
    ("F107", "too few periods", "The data have fewer periods than the estimator needs.",
     "Use more periods or fewer factors and assets.", (FACTOR_DATA, LATENT)),
    ("F108", "too few assets", "Fewer test assets than risk premia to estimate.",
     "Add assets or drop factors.", (FACTOR_API,)),
    ("F109", "empty period", "The training, validation or test period of a split is empty, or "
     "has no observed (entity, date) cell.",
     "Move the split dates inside the data.", (LATENT,)),
    ("F110", "more factors than instruments", "K latent factors need at least K instruments.",
     "Add instruments or lower K.", (LATENT,)),
    ("F111", "NTK training set too large", "The kernel regression has more training cells than "
     "it can hold.", "Train on fewer periods (split) or a sample of assets.", (NTK,)),
    ("F112", "estimates not finite", "An estimator gave NaN or infinite estimates or standard "
     "errors (a singular weight or design); `walras estimate` exits with 2.",
     "Follow the hint: fewer steps, another weight or moment system.", (FACTOR_API,)),
)
# fmt: on
