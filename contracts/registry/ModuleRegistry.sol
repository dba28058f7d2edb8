// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IModuleRegistry} from "../interfaces/IModuleRegistry.sol";

/// @title Module registry, built into the market so that `openDeal` checks the block list with one SLOAD
/// instead of an external call.
/// @dev Storage: one slot per published version, keyed by keccak256(abi.encode(publisher, name, version)); the
/// namespace of names governance approved is publisher zero, which no caller can be.
abstract contract ModuleRegistry is IModuleRegistry, Ownable {
    mapping(bytes32 versionKey => bytes32) private _modules;
    mapping(bytes32 moduleId => bool) private _blocked;

    /// @inheritdoc IModuleRegistry
    function publishModule(string calldata name, string calldata version, bytes32 moduleId) external {
        _bind(msg.sender, name, version, moduleId);
    }

    /// @inheritdoc IModuleRegistry
    function approveModule(string calldata name, string calldata version, bytes32 moduleId) external onlyOwner {
        _bind(address(0), name, version, moduleId);
    }

    /// @inheritdoc IModuleRegistry
    function resolveModule(address publisher, string calldata name, string calldata version) external view returns (bytes32) {
        return _modules[_versionKey(publisher, name, version)];
    }

    /// @inheritdoc IModuleRegistry
    function setModuleBlocked(bytes32 moduleId, bool blocked, string calldata reason) external onlyOwner {
        _blocked[moduleId] = blocked;
        emit ModuleBlockStatusChanged(moduleId, blocked, reason);
    }

    /// @inheritdoc IModuleRegistry
    function isModuleBlocked(bytes32 moduleId) public view returns (bool) {
        return _blocked[moduleId];
    }

    function _bind(address publisher, string calldata name, string calldata version, bytes32 moduleId) private {
        if (!_isValidName(bytes(name)) || !_isValidName(bytes(version))) revert InvalidModuleName();
        if (moduleId == bytes32(0)) revert InvalidModuleId();
        bytes32 key = _versionKey(publisher, name, version);
        if (_modules[key] != bytes32(0)) revert VersionExists(publisher, name, version);
        _modules[key] = moduleId;
        emit ModulePublished(publisher, name, version, moduleId);
    }

    function _versionKey(address publisher, string calldata name, string calldata version) private pure returns (bytes32) {
        return keccak256(abi.encode(publisher, name, version));
    }

    /// @dev 1-64 bytes of [a-z0-9._-], the first a letter or digit: what the manifest schema allows, so every
    /// name published can be typed as `<publisher>/<name>:<version>` and none looks like a path.
    function _isValidName(bytes calldata s) private pure returns (bool) {
        if (s.length == 0 || s.length > 64) return false;
        for (uint256 i; i < s.length; ++i) {
            bytes1 c = s[i];
            bool alnum = (c >= "a" && c <= "z") || (c >= "0" && c <= "9");
            if (!alnum && (i == 0 || (c != "." && c != "_" && c != "-"))) return false;
        }
        return true;
    }
}
