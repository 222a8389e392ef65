-- recipe-studio's language server in Neovim 0.7 to 0.9, which have neither `vim.fs.root`
-- nor `vim.lsp.start` (Debian 12 ships 0.7.2). No plugin needed (add to init.lua).
local client_id = nil

local function root_dir(buf)
  local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ":p:h")
  for _, name in ipairs({ ".recipe-studio.toml", "pyproject.toml" }) do
    local found = vim.fn.findfile(name, dir .. ";")
    if found ~= "" then
      return vim.fn.fnamemodify(found, ":p:h")
    end
  end
  local git = vim.fn.finddir(".git", dir .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  return dir
end

vim.api.nvim_create_autocmd("FileType", {
  pattern = { "yaml", "markdown" },
  callback = function(args)
    if client_id == nil or vim.lsp.get_client_by_id(client_id) == nil then
      client_id = vim.lsp.start_client({
        name = "recipe-studio",
        cmd = { "recipe-studio", "lsp" },
        root_dir = root_dir(args.buf),
      })
    end
    vim.lsp.buf_attach_client(args.buf, client_id)
  end,
})
