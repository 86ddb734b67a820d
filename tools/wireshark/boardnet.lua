-- boardnet.lua: a Wireshark/tshark dissector for boardnet's marks in a
-- recording (--record with --scenario): Ethernet frames of EtherType 0x88b5
-- (IEEE 802's Local Experimental EtherType 1) between 00:00:5e:00:53:00 and
-- itself, whose payload is the text of a scenario step, e.g.
-- "boardnet scenario wifi.scn at 10.000s line 3: link down".
--
--   tshark -X lua_script:/usr/local/share/boardnet/wireshark/boardnet.lua -r run.pcap -Y boardnet
--   wireshark -X lua_script:.../boardnet.lua run.pcap   (or copy it to ~/.local/lib/wireshark/plugins/)
--
-- Fields: boardnet.text (the whole mark), boardnet.step (the step's own
-- words after "line N: "), boardnet.line (the scenario's line number).

local proto = Proto("boardnet", "boardnet scenario step")
local f_text = ProtoField.string("boardnet.text", "Mark")
local f_step = ProtoField.string("boardnet.step", "Step")
local f_line = ProtoField.uint32("boardnet.line", "Scenario line")
proto.fields = { f_text, f_step, f_line }

function proto.dissector(buf, pinfo, tree)
  -- The text, without the zeros that pad a short mark to Ethernet's minimum.
  local len = buf:len()
  while len > 0 and buf(len - 1, 1):uint() == 0 do
    len = len - 1
  end
  if len == 0 then
    return 0
  end
  local text = buf(0, len):string()
  pinfo.cols.protocol = "boardnet"
  local subtree = tree:add(proto, buf(0, len), "boardnet scenario step")
  subtree:add(f_text, buf(0, len))
  local line, step = text:match(" line (%d+): (.*)$")
  if line ~= nil then
    subtree:add(f_line, tonumber(line))
    subtree:add(f_step, step)
    pinfo.cols.info = "boardnet scenario step: " .. step
  else
    pinfo.cols.info = "boardnet: " .. text
  end
  return buf:len()
end

DissectorTable.get("ethertype"):add(0x88b5, proto)
