// Pages that list actions without a live feed: show each start time in the reader's zone.
import { localizeTimes } from "./live.js";

localizeTimes();
