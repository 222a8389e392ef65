-- yaml-language-server with recipe-studio's schema, through nvim-lspconfig (Neovim 0.10+),
-- for a project that has recipe-studio's `schemas/` directory at its root.
local root = vim.fs.root(0, { ".git" }) or vim.fn.getcwd()
local tags = vim.json.decode(table.concat(vim.fn.readfile(root .. "/schemas/custom-tags.json"), "\n"))
require("lspconfig").yamlls.setup({
  settings = { yaml = {
    schemas = { [root .. "/schemas/recipe.schema.json"] = { "recipes/**/*.yaml", "**/*.recipe.yaml" } },
    customTags = tags,
    yamlVersion = "1.1",
    schemaStore = { enable = false, url = "" },
  } },
})
