--[[
typst_tables.lua -- tables as a journal sets them (HTML and PDF).

Why: pandoc gives a pipe table whose source lines are long relative column
widths, which typst turns into narrow, fixed columns that wrap and hyphenate
words ("cate-gory") while short columns waste space.  Dropping the widths lets
typst (and the browser) size every column to its content; columns without an
explicit alignment are set left, so cells read as text, not centred fragments.
Explicit alignments (right-aligned numbers) are kept.
]]

function Table(tbl)
  for i, spec in ipairs(tbl.colspecs) do
    local align = spec[1]
    if align == 'AlignDefault' or align == pandoc.AlignDefault then
      align = pandoc.AlignLeft
    end
    tbl.colspecs[i] = { align, pandoc.ColWidthDefault }
  end
  return tbl
end
