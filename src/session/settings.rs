//! All of a school's settings as one form: read together, saved together (all or nothing).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Session;
use crate::calendar::CalendarConfig;
use crate::error::Result;
use crate::prompts::PromptSettings;
use crate::records::{ResolutionProcedure, Role, SchoolDetails};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Settings {
    pub school: SchoolDetails,
    pub procedure: ResolutionProcedure,
    pub calendar: CalendarConfig,
    pub idle_lock_minutes: u32,
    pub referral_decision_working_days: u32,
    pub prompts: PromptSettings,
}

impl Session {
    /// The settings (the head reads them; the safeguarding team changes them).
    pub fn settings(&self) -> Result<Settings> {
        self.require(Role::reads_everything)?;
        Ok(Settings {
            school: self.school()?,
            procedure: self.resolution_procedure()?,
            calendar: self.calendar_config()?,
            idle_lock_minutes: self.idle_lock_minutes()?,
            referral_decision_working_days: self.referral_decision_working_days()?,
            prompts: self.prompt_settings()?,
        })
    }

    /// Saves what changed, in one transaction: one invalid value and nothing is saved.
    pub fn save_settings(&mut self, next: &Settings) -> Result<()> {
        self.require(Role::is_safeguarding_lead)?;
        let current = self.settings()?;
        self.batch(|s| {
            if next.school != current.school {
                s.set_school(&next.school)?;
            }
            if next.procedure != current.procedure {
                s.set_resolution_procedure(&next.procedure)?;
            }
            if next.calendar != current.calendar {
                s.set_calendar_config(&next.calendar)?;
            }
            if next.idle_lock_minutes != current.idle_lock_minutes {
                s.set_idle_lock_minutes(next.idle_lock_minutes)?;
            }
            if next.referral_decision_working_days != current.referral_decision_working_days {
                s.set_referral_decision_working_days(next.referral_decision_working_days)?;
            }
            if next.prompts != current.prompts {
                s.set_prompt_settings(&next.prompts)?;
            }
            Ok(())
        })
    }
}
