// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Module registry: human names for module ids, and the network-wide block list.
/// @notice A module id is the sha2-256 digest of the module's manifest (its CIDv1 with the raw codec), so a
/// published version can never change under a user.
interface IModuleRegistry {
    /// @notice `publisher` bound `name:version` to `moduleId`.
    event ModulePublished(string name, string version, bytes32 indexed moduleId, address indexed publisher);
    /// @notice Governance blocked or unblocked `moduleId` for every new deal.
    event ModuleBlockStatusChanged(bytes32 indexed moduleId, bool blocked, string reason);

    /// @notice Another publisher owns this module name.
    error NameTaken(string name, address owner);
    /// @notice `name:version` is already bound; versions are immutable.
    error VersionExists(string name, string version);
    /// @notice Names and versions are 1-64 bytes of [a-z0-9._-].
    error InvalidModuleName();
    /// @notice The module id is zero.
    error InvalidModuleId();
    /// @notice Governance blocked this module; no new deal may use it.
    error ModuleIsBlocked(bytes32 moduleId);

    /// @notice Binds `name:version` to `moduleId`. The first publisher of a name owns it.
    /// @param name Module name, e.g. "cowsay".
    /// @param version Version tag, e.g. "v1".
    /// @param moduleId The manifest digest.
    function publishModule(string calldata name, string calldata version, bytes32 moduleId) external;

    /// @notice Looks up a published module version.
    /// @param name Module name.
    /// @param version Version tag.
    /// @return moduleId The manifest digest, zero when unknown.
    function resolveModule(string calldata name, string calldata version) external view returns (bytes32 moduleId);

    /// @notice Governance only: blocks or unblocks a module for all new deals.
    /// @param moduleId The manifest digest.
    /// @param blocked True to block.
    /// @param reason Shown to users, e.g. "malware".
    function setModuleBlocked(bytes32 moduleId, bool blocked, string calldata reason) external;

    /// @notice Whether new deals refuse `moduleId`.
    /// @param moduleId The manifest digest.
    /// @return True when blocked.
    function isModuleBlocked(bytes32 moduleId) external view returns (bool);
}
