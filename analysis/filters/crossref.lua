--[[
crossref.lua -- Quarto-style cross-references for plain pandoc.

Why this exists: the Quarto CLI is not available everywhere the compendium is
rebuilt, so `analysis/render.py` renders the same .qmd sources with pandoc.
Quarto resolves `@fig-x`, `@tbl-x` and `@sec-x` itself; plain pandoc would hand
them to citeproc, which reports them as unknown citations and prints
"(fig-x?)".  This filter must therefore run BEFORE `--citeproc`.

What it does, in document order:
  * numbers figures (`Figure` blocks, or `::: {#fig-x}` divs) whose id starts
    with `fig-`, and tables whose id starts with `tbl-`, per kind, and prefixes
    their captions with "Figure N: " / "Table N: " (Quarto's wording);
  * numbers sections hierarchically; the numbers are shown in the headings
    only when `number-sections: true` (done here rather than with pandoc's
    --number-sections so that the heading numbers and the reference texts can
    never disagree, in any output format);
  * replaces every citation of such an id with a link whose text is
    "Figure N", "Table N", "Section N" (or, without section numbering,
    Section "Heading text").

Labels follow Quarto's `crossref:` options (fig-title, tbl-title, fig-prefix,
tbl-prefix, sec-prefix, title-delim) with English and Swedish defaults.

Errors are raised with the marker "RENDER-ERROR:" so that render.py can turn
them into a RenderError naming the offending id.
]]

local stringify = pandoc.utils.stringify

local NBSP = '\u{00A0}'

local DEFAULT_WORDS = {
  en = { fig = 'Figure', tbl = 'Table', sec = 'Section' },
  sv = { fig = 'Figur', tbl = 'Tabell', sec = 'Avsnitt' },
  nb = { fig = 'Figur', tbl = 'Tabell', sec = 'Avsnitt' },
  da = { fig = 'Figur', tbl = 'Tabel', sec = 'Afsnit' },
  de = { fig = 'Abbildung', tbl = 'Tabelle', sec = 'Abschnitt' },
}

local KINDS = { fig = true, tbl = true, sec = true }

local function fail(message)
  -- level 0: no "file:line:" prefix, the message is meant for the author
  error('RENDER-ERROR: ' .. message, 0)
end

local function kind_of(identifier)
  local prefix = identifier and identifier:match('^(%a+)%-')
  if prefix and KINDS[prefix] then
    return prefix
  end
  return nil
end

local function meta_string(value, default)
  if value == nil then
    return default
  end
  return stringify(value)
end

--- Labels from the document metadata (Quarto's crossref options).
local function read_labels(meta)
  local lang = meta_string(meta.lang, 'en'):lower():match('^(%a+)') or 'en'
  local words = DEFAULT_WORDS[lang] or DEFAULT_WORDS.en
  local options = meta.crossref or {}
  local fig_title = meta_string(options['fig-title'], words.fig)
  local tbl_title = meta_string(options['tbl-title'], words.tbl)
  return {
    title = { fig = fig_title, tbl = tbl_title },
    prefix = {
      fig = meta_string(options['fig-prefix'], fig_title),
      tbl = meta_string(options['tbl-prefix'], tbl_title),
      sec = meta_string(options['sec-prefix'], words.sec),
    },
    delim = meta_string(options['title-delim'], ':'),
  }
end

--- "Figure" .. NBSP .. "3" as inlines (non-breaking, as Quarto does).
local function label_inlines(word, number)
  local inlines = pandoc.Inlines(word)
  if #inlines > 0 then
    local last = inlines[#inlines]
    if last.t == 'Str' then
      last.text = last.text .. NBSP .. number
      return inlines
    end
  end
  inlines:insert(pandoc.Str(number))
  return inlines
end

--- Prefix the first block of a caption with "Figure N: ".
local function prefix_caption(caption, inlines)
  local long = caption.long
  if #long == 0 then
    long:insert(pandoc.Plain(inlines))
  else
    local first = long[1]
    if first.content ~= nil and (first.t == 'Plain' or first.t == 'Para') then
      local content = pandoc.Inlines(inlines)
      content:insert(pandoc.Space())
      content:extend(first.content)
      first.content = content
    else
      long:insert(1, pandoc.Plain(inlines))
    end
  end
  caption.long = long
  return caption
end

local function caption_prefix(labels, kind, number)
  local inlines = label_inlines(labels.title[kind], tostring(number))
  if labels.delim ~= '' then
    inlines[#inlines].text = inlines[#inlines].text .. labels.delim
  end
  return inlines
end

--- Smallest heading level that gets a number, so documents whose first
--- numbered heading is `##` are numbered 1, 2 ... rather than 0.1, 0.2.
local function top_level(blocks)
  local top = nil
  blocks:walk({
    Header = function(header)
      if not header.classes:includes('unnumbered') then
        if top == nil or header.level < top then
          top = header.level
        end
      end
    end,
  })
  return top or 1
end

function Pandoc(doc)
  local labels = read_labels(doc.meta)
  local show_numbers = doc.meta['number-sections'] == true
  local targets = {}
  local counters = { fig = 0, tbl = 0 }
  local section_counters = {}
  local top = top_level(doc.blocks)

  local function register(identifier, target)
    if targets[identifier] ~= nil then
      fail("duplicate cross-reference id '" .. identifier .. "'")
    end
    targets[identifier] = target
  end

  local function number_float(identifier, caption)
    local kind = kind_of(identifier)
    if kind ~= 'fig' and kind ~= 'tbl' then
      return caption
    end
    counters[kind] = counters[kind] + 1
    local number = tostring(counters[kind])
    register(identifier, { kind = kind, label = label_inlines(labels.prefix[kind], number) })
    return prefix_caption(caption, caption_prefix(labels, kind, number))
  end

  local function on_figure(figure)
    figure.caption = number_float(figure.identifier, figure.caption)
    return figure
  end

  local function on_table(tbl)
    tbl.caption = number_float(tbl.identifier, tbl.caption)
    return tbl
  end

  local function on_header(header)
    local number = nil
    if not header.classes:includes('unnumbered') and header.level >= top then
      local depth = header.level - top + 1
      section_counters[depth] = (section_counters[depth] or 0) + 1
      for deeper = depth + 1, #section_counters do
        section_counters[deeper] = nil
      end
      local parts = {}
      for i = 1, depth do
        parts[i] = tostring(section_counters[i] or 0)
      end
      number = table.concat(parts, '.')
    end
    if kind_of(header.identifier) == 'sec' then
      local label
      if show_numbers and number ~= nil then
        label = label_inlines(labels.prefix.sec, number)
      else
        label = pandoc.Inlines(labels.prefix.sec)
        label:insert(pandoc.Space())
        label:insert(pandoc.Quoted('DoubleQuote', header.content:clone()))
      end
      register(header.identifier, { kind = 'sec', label = label })
    end
    if show_numbers and number ~= nil then
      local content = pandoc.Inlines({
        pandoc.Span({ pandoc.Str(number) }, { class = 'header-section-number' }),
        pandoc.Space(),
      })
      content:extend(header.content)
      header.content = content
    end
    return header
  end

  --- Quarto's div syntax: `::: {#fig-x}` (content, last paragraph is the
  --- caption) and `::: {#tbl-x}` around a captioned table.
  local function on_div(div)
    local kind = kind_of(div.identifier)
    if kind == 'fig' then
      local blocks = div.content:clone()
      local caption = {}
      local last = blocks[#blocks]
      if #blocks > 1 and last ~= nil and (last.t == 'Para' or last.t == 'Plain') then
        blocks:remove(#blocks)
        caption = { pandoc.Plain(last.content) }
      end
      local figure = pandoc.Figure(blocks, caption, div.attr)
      return on_figure(figure)
    elseif kind == 'tbl' then
      local tables = {}
      for i, block in ipairs(div.content) do
        if block.t == 'Table' then
          tables[#tables + 1] = i
        end
      end
      if #tables ~= 1 then
        fail("the div '#" .. div.identifier .. "' must contain exactly one table")
      end
      local tbl = div.content[tables[1]]
      tbl.identifier = div.identifier
      on_table(tbl)
      if #div.content == 1 then
        return tbl
      end
      div.content[tables[1]] = tbl
      div.identifier = ''
      return div
    end
    return nil
  end

  doc = doc:walk({
    traverse = 'topdown',
    Div = on_div,
    Figure = on_figure,
    Table = on_table,
    Header = on_header,
  })

  local function reference(citation)
    local target = targets[citation.id]
    if target == nil then
      fail("unknown cross-reference '@" .. citation.id .. "': no figure, table or section "
        .. "has the id '" .. citation.id .. "'")
    end
    local text = target.label:clone()
    if citation.mode == 'SuppressAuthor' then
      -- `[-@fig-x]`: the number only, as in Quarto
      local last = text[#text]
      local number = last.t == 'Str' and last.text:match(NBSP .. '(.+)$') or nil
      if number ~= nil then
        text = pandoc.Inlines({ pandoc.Str(number) })
      end
    end
    local inlines = pandoc.Inlines({})
    if #citation.prefix > 0 then
      inlines:extend(citation.prefix)
      inlines:insert(pandoc.Space())
    end
    inlines:insert(pandoc.Link(text, '#' .. citation.id, '', { class = 'quarto-xref' }))
    if #citation.suffix > 0 then
      inlines:extend(citation.suffix)
    end
    return inlines
  end

  doc = doc:walk({
    Cite = function(cite)
      local crossrefs = 0
      for _, citation in ipairs(cite.citations) do
        if kind_of(citation.id) then
          crossrefs = crossrefs + 1
        end
      end
      if crossrefs == 0 then
        return nil
      end
      if crossrefs < #cite.citations then
        local keys = {}
        for _, citation in ipairs(cite.citations) do
          keys[#keys + 1] = '@' .. citation.id
        end
        fail('cannot mix cross-references and bibliographic citations in one '
          .. 'citation: [' .. table.concat(keys, '; ') .. ']')
      end
      local result = pandoc.Inlines({})
      for i, citation in ipairs(cite.citations) do
        if i > 1 then
          result:insert(pandoc.Str(','))
          result:insert(pandoc.Space())
        end
        result:extend(reference(citation))
      end
      return result
    end,
  })
  return doc
end
