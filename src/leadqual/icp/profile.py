"""The ideal customer profile (ICP) as data. The schema lives in :mod:`leadqual.config.icp`, the
configuration layer; it is re-exported here, where profiles have always been imported from."""

from leadqual.config.icp import CharacteristicKind, IcpCharacteristic, IcpProfile, TierCutoffs

__all__ = ["CharacteristicKind", "IcpCharacteristic", "IcpProfile", "TierCutoffs"]
