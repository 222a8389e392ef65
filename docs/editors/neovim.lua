-- recipe-studio's language server in Neovim 0.10 or later (add to init.lua).
vim.api.nvim_create_autocmd("FileType", {
  pattern = { "yaml", "markdown" },
  callback = function(args)
    vim.lsp.start({
      name = "recipe-studio",
      cmd = { "recipe-studio", "lsp" },
      root_dir = vim.fs.root(args.buf, { ".recipe-studio.toml", "pyproject.toml", ".git" }),
    }, { bufnr = args.buf })
  end,
})
