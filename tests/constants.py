"""What the unit and integration tests share about the repository and about a deployed host:
where the role puts things, the service's name, the developer account the lab prepares. Written
once here so that a test which checks a path names the same path as every other test.
(Tokens live with the simulator that issues them: copilot_sim.accounts.) Not a test module."""
from pathlib import Path

# --- the repository ----------------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[1]
ROLE = REPO / "roles" / "litellm_copilot"
ROLE_FILES = ROLE / "files"
ROLE_DEFAULTS = ROLE / "defaults" / "main.yml"


def default_version():
    """The LiteLLM version the role installs by default (litellm_copilot_version)."""
    for line in ROLE_DEFAULTS.read_text().splitlines():
        if line.startswith("litellm_copilot_version:"):
            return line.split(":", 1)[1].strip().strip('"')
    raise LookupError("litellm_copilot_version is not in %s" % ROLE_DEFAULTS)

# --- a deployed host (the role's defaults) -----------------------------------------------------
SERVICE = "litellm-copilot"
UNIT_FILE = "/etc/systemd/system/%s.service" % SERVICE
CONFIG_DIR = "/etc/litellm-copilot"
CONFIG = CONFIG_DIR + "/config.yaml"
ENV_FILE = CONFIG_DIR + "/litellm.env"
DATA_DIR = "/var/lib/litellm-copilot"
MASTER_KEY_FILE = DATA_DIR + "/master-key"
LAST_GOOD_MODELS = DATA_DIR + "/models.last-good.json"
# LiteLLM's github_copilot token directory: the GitHub token and LiteLLM's cached Copilot token.
TOKEN_DIR = DATA_DIR + "/github_copilot"
TOKEN_FILE = TOKEN_DIR + "/access-token"
TOKEN_CACHE = TOKEN_DIR + "/api-key.json"
INSTALL_DIR = "/opt/litellm-copilot"

# --- the developer whose clients the lab configures (molecule/default: prepare.yml, molecule.yml) -----
DEVELOPER = "dev"
DEVELOPER_HOME = "/home/" + DEVELOPER
