//! All of a school's settings as one form: read together, saved together (all or nothing).

use rusqlite::OptionalExtension;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Session, keys, put_setting};
use crate::audit::Action;
use crate::calendar::{CalendarConfig, WorkingCalendar};
use crate::error::{Error, Result};
use crate::prompts::PromptSettings;
use crate::records::{MAX_SHORT, ResolutionProcedure, Role, SchoolDetails, Validate};

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

impl Session {
    pub(crate) fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let v: Option<String> = self
            .conn
            .prepare_cached("SELECT value FROM settings WHERE key = ?1 ORDER BY seq DESC LIMIT 1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        v.map(|s| serde_json::from_str(&s).map_err(Error::from))
            .transpose()
    }

    fn set_setting<T: Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.require(Role::is_safeguarding_lead)?;
        self.write(Action::SettingsChange, |c, ctx| {
            put_setting(c, ctx, key, value)?;
            Ok(((), vec![]))
        })
    }

    pub fn school(&self) -> Result<SchoolDetails> {
        self.setting(keys::SCHOOL)?
            .ok_or(Error::damaged("the school's details are missing"))
    }

    pub fn set_school(&mut self, school: &SchoolDetails) -> Result<()> {
        school.validate(self.now())?;
        self.set_setting(keys::SCHOOL, school)
    }

    pub fn resolution_procedure(&self) -> Result<ResolutionProcedure> {
        Ok(self.setting(keys::PROCEDURE)?.unwrap_or_default())
    }

    pub fn set_resolution_procedure(&mut self, p: &ResolutionProcedure) -> Result<()> {
        p.validate(self.now())?;
        self.set_setting(keys::PROCEDURE, p)
    }

    pub fn calendar_config(&self) -> Result<CalendarConfig> {
        Ok(self.setting(keys::CALENDAR)?.unwrap_or_default())
    }

    pub fn set_calendar_config(&mut self, c: &CalendarConfig) -> Result<()> {
        for r in &c.school_holidays {
            if r.end < r.start {
                return Err(Error::invalid("school holiday", "ends before it starts"));
            }
            crate::records::limit("school holiday label", &r.label, MAX_SHORT)?;
        }
        if c.school_holidays.len() + c.inset_days.len() + c.extra_bank_holidays.len() > 2000 {
            return Err(Error::TooLarge {
                field: "calendar",
                limit: 2000,
            });
        }
        self.set_setting(keys::CALENDAR, c)
    }

    pub fn calendar(&self) -> Result<WorkingCalendar> {
        Ok(WorkingCalendar::new(self.calendar_config()?))
    }

    /// Working days a referral may wait for a decision before it is chased (default 1).
    pub fn referral_decision_working_days(&self) -> Result<u32> {
        Ok(self.setting(keys::DECISION_DAYS)?.unwrap_or(1))
    }

    pub fn set_referral_decision_working_days(&mut self, days: u32) -> Result<()> {
        if !(1..=20).contains(&days) {
            return Err(Error::invalid(
                "decision timescale",
                "must be 1 to 20 working days",
            ));
        }
        self.set_setting(keys::DECISION_DAYS, &days)
    }

    /// Minutes of inactivity before the window locks itself (default 5).
    pub fn idle_lock_minutes(&self) -> Result<u32> {
        Ok(self.setting(keys::IDLE_LOCK)?.unwrap_or(5))
    }

    pub fn set_idle_lock_minutes(&mut self, minutes: u32) -> Result<()> {
        if !(1..=60).contains(&minutes) {
            return Err(Error::invalid("idle lock", "must be 1 to 60 minutes"));
        }
        self.set_setting(keys::IDLE_LOCK, &minutes)
    }
}
