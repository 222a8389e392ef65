-- A scripted editing session in a real Neovim, for tests/editors/test_neovim.py.
--
-- Run as `nvim --clean --headless -c "luafile nvim_session.lua"` with the environment:
--   RS_CONFIG  the documented configuration to load (docs/editors/neovim*.lua)
--   RS_PLAN    a JSON file: {"recipe": path, "hover": [line, col], "completion": [line, col],
--              "fix_line": line}   (0-based positions)
--   RS_OUT     where to write the JSON report
--   RS_WAIT    milliseconds to wait for each step (default 20000)
-- It opens the recipe, waits for recipe-studio's diagnostics, asks for hover and completion,
-- applies the preferred quick fix on `fix_line`, formats the buffer, waits for the
-- diagnostics to clear, and stops the server. Every wait is bounded; any failure is
-- reported in the JSON (`error`) and Neovim exits 1. Works on Neovim 0.7 to 0.11.

local report = { version = vim.version and tostring(vim.version().major) .. "." ..
  tostring(vim.version().minor) .. "." .. tostring(vim.version().patch) or "?" }
local WAIT = tonumber(os.getenv("RS_WAIT") or "20000")

local function clients(buf)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = buf })
  end
  return vim.lsp.buf_get_clients(buf)
end

local function first_client(buf)
  for _, c in pairs(clients(buf)) do
    return c
  end
  return nil
end

local function text_of(contents)
  if type(contents) == "string" then
    return contents
  end
  if contents.value then
    return contents.value
  end
  local parts = {}
  for _, c in ipairs(contents) do
    table.insert(parts, type(c) == "string" and c or c.value)
  end
  return table.concat(parts, "\n")
end

local function session()
  local plan = vim.json.decode(table.concat(vim.fn.readfile(os.getenv("RS_PLAN")), "\n"))
  vim.cmd("filetype on")
  dofile(os.getenv("RS_CONFIG"))
  vim.cmd("edit " .. vim.fn.fnameescape(plan.recipe))
  local buf = vim.api.nvim_get_current_buf()
  report.filetype = vim.bo[buf].filetype

  local client = nil
  assert(vim.wait(WAIT, function()
    client = first_client(buf)
    return client ~= nil and client.initialized ~= false
  end, 20), "no language server attached to the buffer")
  report.client = client.name

  assert(vim.wait(WAIT, function() return #vim.diagnostic.get(buf) > 0 end, 20),
    "no diagnostics published")
  report.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(report.diagnostics, { line = d.lnum, col = d.col, code = d.code,
      message = d.message, source = d.source, severity = d.severity })
  end

  local uri = vim.uri_from_bufnr(buf)
  local function request(method, params)
    local responses = vim.lsp.buf_request_sync(buf, method, params, WAIT)
    assert(responses, method .. ": no answer")
    for _, r in pairs(responses) do
      assert(not r.err, method .. ": " .. vim.inspect(r.err))
      return r.result
    end
  end
  local function at(pos)
    return { textDocument = { uri = uri }, position = { line = pos[1], character = pos[2] } }
  end

  local hover = request("textDocument/hover", at(plan.hover))
  report.hover = hover and text_of(hover.contents) or nil

  local completion = request("textDocument/completion", at(plan.completion))
  report.completion = {}
  for _, item in ipairs(completion and (completion.items or completion) or {}) do
    table.insert(report.completion, item.label)
  end

  local line = plan.fix_line
  local width = #vim.api.nvim_buf_get_lines(buf, line, line + 1, false)[1]
  local actions = request("textDocument/codeAction", {
    textDocument = { uri = uri },
    range = { start = { line = line, character = 0 }, ["end"] = { line = line, character = width } },
    context = { diagnostics = {}, only = { "quickfix" } },
  }) or {}
  report.actions = {}
  local chosen = nil
  for _, action in ipairs(actions) do
    table.insert(report.actions, action.title)
    if action.isPreferred and chosen == nil then
      chosen = action
    end
  end
  assert(chosen and chosen.edit, "no preferred quick fix with an edit on line " .. line)
  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding or "utf-16")
  report.fixed = vim.api.nvim_buf_get_lines(buf, 0, -1, false)

  if vim.lsp.buf.format then
    vim.lsp.buf.format({ bufnr = buf, timeout_ms = WAIT })
  else
    vim.lsp.buf.formatting_sync(nil, WAIT)
  end
  report.formatted = vim.api.nvim_buf_get_lines(buf, 0, -1, false)

  assert(vim.wait(WAIT, function() return #vim.diagnostic.get(buf) == 0 end, 20),
    "diagnostics did not clear after the fix")
  report.cleared = true

  vim.lsp.stop_client(client.id)
  report.stopped = vim.wait(WAIT, function()
    return vim.lsp.get_client_by_id(client.id) == nil
  end, 20)
end

local ok, err = pcall(session)
if not ok then
  report.error = tostring(err)
end
local out = io.open(os.getenv("RS_OUT"), "w")
out:write(vim.json.encode(report))
out:close()
vim.cmd(ok and "qall!" or "cquit 1")
