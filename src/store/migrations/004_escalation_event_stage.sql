-- Whether a stage has had a response is asked per stage (Today, the prompts): index it, or each
-- question scans every escalation event in the school.
CREATE INDEX escalation_events_stage ON escalation_events(stage_id, event);
