# onsendo: every database target passes --env $(ENV) to the tools.
# ENV comes from the command line (make db-init ENV=prod), else $ONSENDO_ENV, else dev.

ONSENDO ?= cargo run --quiet --bin onsendo --
XTASK ?= cargo xtask

ifeq ($(origin ENV),undefined)
  ifneq ($(strip $(ONSENDO_ENV)),)
    ENV := $(ONSENDO_ENV)
    ENV_FROM := ONSENDO_ENV
  else
    ENV := dev
    ENV_FROM := default
  endif
else
  ENV_FROM := ENV on the $(origin ENV)
endif

override ENV := $(strip $(shell printf '%s' '$(ENV)' | tr '[:upper:]' '[:lower:]'))
ifeq ($(filter $(ENV),dev prod test),)
  $(error unknown ENV `$(ENV)`; valid: dev, prod, test (e.g. make db-init ENV=dev))
endif

.DEFAULT_GOAL := help
.PHONY: help show-env db-path use-prod use-dev db-init onsen-list visit-list test lint fmt ci

help: ## List the targets
	@echo "ENV=$(ENV) (from $(ENV_FROM)); override with ENV=dev|prod|test"
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed 's/:.*## /\t/' | awk -F'\t' '{ printf "  %-12s %s\n", $$1, $$2 }'

show-env: ## Show the environment, where it came from, and its database
	@echo "environment: $(ENV) (from $(ENV_FROM))"
	@$(XTASK) database env --env $(ENV) | tail -n +2

db-path: ## Print the database path of ENV
	@$(XTASK) database path --env $(ENV)

use-prod: ## Print the export line for prod: eval "$$(make -s use-prod)"
	@echo "export ONSENDO_ENV=prod"

use-dev: ## Print the export line for dev: eval "$$(make -s use-dev)"
	@echo "export ONSENDO_ENV=dev"

db-init: ## Create the database of ENV (idempotent)
	@$(XTASK) database init --env $(ENV)

onsen-list: ## List the onsens in ENV
	@$(ONSENDO) onsen list --env $(ENV)

visit-list: ## List the visits in ENV
	@$(ONSENDO) visit list --env $(ENV)

test: ## Run every test
	cargo test --workspace

lint: ## rustfmt check and clippy with -D warnings
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt: ## Format the code
	cargo fmt --all

ci: ## Everything CI checks
	$(XTASK) ci
