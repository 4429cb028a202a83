//! The child's voice: what the child said, when, and how they were helped to say it.

use rusqlite::params;

use super::Session;
use super::pupils::pupil_exists;
use super::search::index_body;
use crate::audit::Action;
use crate::error::Result;
use crate::kinds::encode;
use crate::records::*;
use crate::time::fmt_utc;

impl Session {
    pub fn record_voice(&mut self, n: &NewVoice) -> Result<Id> {
        self.require(Role::is_safeguarding_lead)?;
        n.details.validate(self.now())?;
        self.write(Action::VoiceRecord, |c, ctx| {
            pupil_exists(c, n.pupil_id)?;
            let id = ctx.new_id();
            c.prepare_cached(
                "INSERT INTO voice_entries (id, device_id, recorded_at, recorded_by, pupil_id, spoken_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![id.to_string(), ctx.device, ctx.now_text(), ctx.user.to_string(), n.pupil_id.to_string(), fmt_utc(n.details.spoken_at), encode(&n.details)?])?;
            super::derived::refresh(c, RecordKind::Voice, id)?;
            let d = &n.details;
            index_body(c, ctx, id, Some(n.pupil_id), d)?;
            Ok((id, vec![id, n.pupil_id]))
        })
    }
}
