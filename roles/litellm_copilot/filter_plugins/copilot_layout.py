# -*- coding: utf-8 -*-
# Copyright: litellm-copilot maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the gateway keeps everything on a host: one dict, built once from the role's directories
(vars/main.yml's _litellm_copilot_paths), so every task, handler and template names a file the
same way and the layout reads in one place.

    install_dir   root's: the versioned venvs and the venv link, the launcher and supervisor
    config_dir    root's, the service group reads: config, environment file, callbacks' settings
    data_dir      root's, the service group reads: master key, last good model list, the ledger;
                  only the token directory inside it is the service user's
"""

import posixpath


def copilot_layout(install_dir, config_dir, data_dir, service_name, user, group):
    """The paths of the gateway's files on a host, and the files its last good state keeps."""
    join = posixpath.join
    token_dir = join(data_dir, "github_copilot")
    units = "/etc/systemd/system"
    paths = {
        # The venv the proxy runs is a link to one of the versioned venvs (library/copilot_venv.py).
        "venv_link": join(install_dir, "venv"),
        "venvs_dir": join(install_dir, "venvs"),
        "host_lock": join(install_dir, "requirements.lock"),
        # What serves on systemd's socket, and the service's main process (files/hand_over.py).
        "launcher": join(install_dir, "serve_on_socket.py"),
        "hand_over": join(install_dir, "hand_over.py"),
        "runtime_dir": join("/run", service_name),
        "unit_file": join(units, service_name + ".service"),
        "socket_file": join(units, service_name + ".socket"),
        "config_file": join(config_dir, "config.yaml"),
        "env_file": join(config_dir, "litellm.env"),
        # LiteLLM resolves a callback's module next to the config first.
        "shaper_file": join(config_dir, "copilot_shaper.py"),
        "meter_settings_file": join(config_dir, "copilot_meter.json"),
        "token_dir": token_dir,
        "token_file": join(token_dir, "access-token"),
        # LiteLLM caches the exchanged Copilot token here; it goes whenever the token or endpoint changes.
        "token_cache": join(token_dir, "api-key.json"),
        "master_key_file": join(data_dir, "master-key"),
        "ledger_dir": join(data_dir, "meter"),
        # Written after each passed health gate: discovery falls back to it during an outage.
        "last_good_models": join(data_dir, "models.last-good.json"),
    }
    # The config, environment and units the proxy was last healthy with: a failed restart rolls back to them.
    paths["last_good_files"] = [
        {"live": paths["config_file"], "saved": paths["config_file"] + ".last-good",
         "owner": "root", "group": group, "mode": "0640"},
        {"live": paths["meter_settings_file"], "saved": paths["meter_settings_file"] + ".last-good",
         "owner": "root", "group": group, "mode": "0640"},
        {"live": paths["env_file"], "saved": paths["env_file"] + ".last-good",
         "owner": user, "group": group, "mode": "0600"},
        {"live": paths["unit_file"], "saved": join(config_dir, service_name + ".service.last-good"),
         "owner": "root", "group": "root", "mode": "0644"},
        {"live": paths["socket_file"], "saved": join(config_dir, service_name + ".socket.last-good"),
         "owner": "root", "group": "root", "mode": "0644"},
    ]
    return paths


class FilterModule(object):
    def filters(self):
        return {"copilot_layout": copilot_layout}
