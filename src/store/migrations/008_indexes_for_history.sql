-- Reads that must not grow with a school's history (CP files are kept to DOB + 25 years):
-- an escalation's stages (Today, the prompts and the head's review look up each open
-- escalation's latest stage), and a kind's amendments (every pupil's current name and year).
CREATE INDEX escalation_stages_escalation ON escalation_stages(escalation_id, stage_no);
CREATE INDEX amendments_kind ON amendments(record_kind, seq);
